#!/bin/bash
# Checks that every long option shown by `supervise --help` and by each subcommand's --help
# (doctor, lock, unlock, check, list, kill, kill-all, task and each `task VERB`) appears in
# the man page source, and that each subcommand has its own "**supervise SUBCOMMAND**" entry.
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

subcommands=(doctor lock unlock check list kill kill-all history
    task "task start" "task run" "task wait" "task status" "task log" "task list"
    "task kill" "task reset" "task gc")

# Long options as the help lists them: "--memory SIZE", "-C,--chdir DIR", "--json".
long_options() {
    grep -oE -- '(^|[ ,])--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

missing=()
declare -A seen=()
for subcommand in "" "${subcommands[@]}"; do
    label="supervise${subcommand:+ $subcommand} --help"
    # A subcommand that does not exist would not print its own usage line. (Unquoted on
    # purpose: "task start" is two words.)
    # shellcheck disable=SC2086
    if ! help=$("$binary" $subcommand --help 2>&1); then
        echo "check-man-options: '$label' failed" >&2
        exit 2
    fi
    if [ -n "$subcommand" ] && ! grep -q "^Usage: supervise $subcommand\b" <<<"$help"; then
        echo "check-man-options: '$label' does not show the usage of '$subcommand'" >&2
        exit 2
    fi
    options=$(long_options <<<"$help")
    if [ -z "$options" ]; then
        echo "check-man-options: found no options in '$label'" >&2
        exit 2
    fi
    # The subcommand itself must be documented too.
    if [ -n "$subcommand" ] && ! grep -qE -- "\*\*supervise ${subcommand}\*\*" "$page"; then
        missing+=("'supervise $subcommand' (from $label)")
    fi
    for option in $options; do
        seen[$option]=1
        # The option must stand on its own: "--memory" is not documented by "--memory-high".
        grep -qE -- "(^|[^a-z0-9-])${option}([^a-z0-9-]|$)" "$page" || missing+=("$option (from $label)")
    done
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "check-man-options: not in $page:" >&2
    printf '  %s\n' "${missing[@]}" >&2
    exit 1
fi
echo "check-man-options: all ${#seen[@]} long options of supervise --help and of" \
    "$(IFS=,; echo "${subcommands[*]}" | sed 's/,/, /g') --help are in $page"
