#!/bin/bash
# The lock soak test, on demand (not part of tests/run-all.sh or ctest): tests/soak/soak.py
# on this host, or inside one of the cgroup worlds of tests/worlds/.
#
# Usage: tests/soak/run.sh [--world NAME] [SOAK ARGS...]
#   --world qemu_cgroup2   run it in the pure cgroup v2 QEMU guest (any tests/worlds/ runner
#                          name: qemu_cgroup2, qemu_systemd, systemd_container, ...)
#   SOAK ARGS              passed on, e.g. --runs 1000 --seed 7 --json
# Environment: BUILD (default build beside tests/; must hold a built supervise). Needs root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
BUILD=$(cd "${BUILD:-$top/build}" && pwd)
world=
if [ "${1:-}" = --world ]; then
    world=$2
    shift 2
fi
[ -x "$BUILD/supervise" ] || { echo "soak: no supervise in $BUILD (build it, or set BUILD)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "soak: needs root (it creates cgroups)" >&2; exit 2; }
if [ -z "$world" ]; then
    SUPERVISE=$BUILD/supervise exec python3 "$here/soak.py" "$@"
fi
runner=$top/tests/worlds/${world//_/-}.sh
[ -f "$runner" ] || { echo "soak: no world '$world' (see tests/worlds/CMakeLists.txt)" >&2; exit 2; }
WORLD_COMMAND="SUPERVISE=$(printf %q "$BUILD/supervise") python3 $(printf %q "$here/soak.py") $(printf '%q ' "$@")" \
    WORLD_TIMEOUT=${WORLD_TIMEOUT:-1800} exec bash "$runner" "$BUILD" "$top"
