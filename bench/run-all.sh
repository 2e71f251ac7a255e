#!/bin/bash
# The benchmark suite, on demand (not part of tests/run-all.sh): supervise against flock(1),
# bare exec and systemd-run --scope, side by side in one run, then one table.
#
# Usage: bench/run-all.sh [--quick] [--wait-load] [--json FILE] [--worlds]
#   --quick       small counts (development; the numbers mean little)
#   --worlds      only the overhead rows inside the other cgroup worlds (QEMU guests on pure
#                 cgroup v2, the systemd container), booted with tests/worlds/
#   --wait-load   first wait (up to 15 min, checking every 30 s) for a 1-minute load
#                 average below 0.7; runs anyway after that, and says so
#   --json FILE   also write the raw results
# Environment: BUILD (default build-bench beside bench/; configured when missing, and
# always brought up to date: Release, no tests). Needs root (cgroups), python3, flock, gcc. See bench/README.md for the method.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
BUILD=${BUILD:-$top/build-bench}
args=() wait_load=0 what=all
while [ $# -gt 0 ]; do
    case "$1" in
        --wait-load) wait_load=1 ;;
        --quick) args+=(--quick) ;;
        --json) args+=(--json "$2"); shift ;;
        --worlds) what=worlds ;;
        *) echo "usage: bench/run-all.sh [--quick] [--wait-load] [--json FILE] [--worlds]" >&2; exit 2 ;;
    esac
    shift
done
[ "$(id -u)" = 0 ] || { echo "bench/run-all.sh: needs root (it creates cgroups)" >&2; exit 2; }

if [ "$wait_load" = 1 ]; then
    for ((i = 0; i <= 30; i++)); do
        load=$(cut -d' ' -f1 /proc/loadavg)
        awk -v l="$load" 'BEGIN { exit !(l < 0.7) }' && break
        [ "$i" = 30 ] && { echo "bench: load average still $load after 15 minutes; running anyway" >&2; break; }
        echo "bench: load average $load, waiting for < 0.7" >&2
        sleep 30
    done
fi
# Build after the wait, so that the binary is the tree we name (an incremental build is
# quick; always measure the tree as it is now).
[ -f "$BUILD/CMakeCache.txt" ] ||
    cmake -S "$top" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DSUPERVISE_TESTS=OFF >/dev/null
BENCH_SOURCE=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
cmake --build "$BUILD" -j"$(nproc)" >/dev/null
gcc -O2 -Wall -Wextra -o "$BUILD/benchtool" "$here/benchtool.c"
export SUPERVISE=$BUILD/supervise BENCHTOOL=$BUILD/benchtool BENCH_SOURCE
[ "$what" = all ] || [ ${#args[@]} = 0 ] || [ "${args[*]}" = --quick ] ||
    { echo "bench/run-all.sh: --worlds takes no --json" >&2; exit 2; }
exec python3 "$here/bench.py" "$what" "${args[@]}"
