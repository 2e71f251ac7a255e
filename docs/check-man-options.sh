#!/bin/bash
# Checks that every long option shown by `supervise --help` (and `supervise doctor --help`)
# appears in the man page source.
#   usage: check-man-options.sh SUPERVISE_BINARY MAN_PAGE_MARKDOWN
# Exit status: 0 all documented, 1 some missing (listed on stderr), 2 bad usage.
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 SUPERVISE_BINARY MAN_PAGE_MARKDOWN" >&2
    exit 2
fi
binary=$1
page=$2
[ -x "$binary" ] || { echo "check-man-options: $binary is not executable" >&2; exit 2; }
[ -r "$page" ] || { echo "check-man-options: cannot read $page" >&2; exit 2; }

help=$("$binary" --help; "$binary" doctor --help)
# Long options as the help lists them: "--memory SIZE", "-C,--chdir DIR", "--json".
options=$(grep -oE -- '(^|[ ,])--[a-z][a-z0-9-]*' <<<"$help" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
if [ -z "$options" ]; then
    echo "check-man-options: found no options in '$binary --help'" >&2
    exit 2
fi

missing=()
for option in $options; do
    # The option must stand on its own: "--memory" is not documented by "--memory-high".
    grep -qE -- "(^|[^a-z0-9-])${option}([^a-z0-9-]|$)" "$page" || missing+=("$option")
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "check-man-options: not in $page: ${missing[*]}" >&2
    exit 1
fi
echo "check-man-options: all $(wc -w <<<"$options") options of --help are in $page"
