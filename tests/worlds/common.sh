# Shared by the world runners (sourced). A world runner boots one cgroup world, runs the
# integration tests inside it and exits with their status:
#   0 all passed, 1 a test failed or the world broke while running, 77 the world cannot
#   start on this machine (printed loudly: "SKIP: world ...: reason").
# Usage of every runner: WORLD.sh BUILD_DIR [SOURCE_DIR]
set -euo pipefail

WORLD=$(basename "$0" .sh)
BUILD=$(realpath "${1:?usage: $0 BUILD_DIR [SOURCE_DIR]}")
SOURCE=$(realpath "${2:-$(dirname "$(readlink -f "$0")")/../..}")
WORLD_TIMEOUT=${WORLD_TIMEOUT:-600}   # seconds a world may run before it counts as hung
_t0=$(date +%s)

say() { echo "world $WORLD: $*" >&2; }
world_skip() {
    echo "SKIP: world $WORLD cannot run here: $*" >&2
    exit 77
}
world_fail() {
    echo "FAIL: world $WORLD: $*" >&2
    exit 1
}
elapsed() { echo $(($(date +%s) - _t0)); }

[ "$(id -u)" = 0 ] || world_skip "must run as root (it boots a kernel or a service manager)"
[ -f "$BUILD/tests/integration/CTestTestfile.cmake" ] ||
    world_fail "$BUILD is not a configured build tree (no tests/integration/CTestTestfile.cmake)"

# need_packages PKG... : install the Debian packages that are missing (apt-get, quietly).
need_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null || world_skip "missing packages ${missing[*]} and no apt-get"
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "${missing[@]}" >/dev/null 2>&1; } ||
        world_skip "apt-get install ${missing[*]} failed"
}

# The command a world runs inside: the integration tests of this build, one at a time
# (they count processes and cgroups), with the test directory's own Testing/ log.
inner_ctest() {
    echo ctest --test-dir "$BUILD/tests/integration" -L integration --output-on-failure \
        --timeout 180
}

# Environment for the tests inside the world: NAME=VALUE lines.
world_env() {
    echo "SUPERVISE_EXPECT_DRIVER=$EXPECT_DRIVER"
    echo "SUPERVISE_DRIVER=$EXPECT_DRIVER"
}

# finish RC: report and exit with the world's status
finish() {
    local rc=$1
    case "$rc" in
    0) say "PASS ($(elapsed) s)"; exit 0 ;;
    77) exit 77 ;;
    *) say "FAIL: inner ctest exit $rc ($(elapsed) s)"; exit 1 ;;
    esac
}

# A directory shared with a guest: on the host's disk, not under /tmp or /run (guests
# mount their own there), and on the same paths inside.
handover_dir() {
    mktemp -d "${WORLD_WORKDIR:-/var/tmp}/supervise-world-$WORLD.XXXXXX"
}
