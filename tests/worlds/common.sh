# Shared by the world runners (sourced). A world runner boots one cgroup world, runs the
# integration tests inside it and exits with their status:
#   0 all passed, 1 a test failed or the world broke while running, 77 the world cannot
#   start on this machine (printed loudly: "SKIP: world ...: reason").
# Usage of every runner: WORLD.sh BUILD_DIR [SOURCE_DIR]
# Environment: WORLD_TIMEOUT (seconds, default 420), WORLD_LABEL (the ctest label to run,
# default conformance), WORLD_COMMAND (shell text to run instead of the tests).
set -euo pipefail

WORLD=$(basename "$0" .sh)
BUILD=$(realpath "${1:?usage: $0 BUILD_DIR [SOURCE_DIR]}")
SOURCE=$(realpath "${2:-$(dirname "$(readlink -f "$0")")/../..}")
WORLD_TIMEOUT=${WORLD_TIMEOUT:-420}   # seconds a world may run before it counts as hung (ctest: 480)
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
[ -n "${WORLD_COMMAND:-}" ] || [ -f "$BUILD/tests/integration/CTestTestfile.cmake" ] ||
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
        world_fail "apt-get install ${missing[*]} failed"   # (a machine of ours has them: not a skip)
}

# The command a world runs inside: the conformance tests of this build (the integration
# tests that prove a driver honours the contract; the host runs all of them), one at a
# time (they count processes and cgroups), with the test directory's own Testing/ log.
# WORLD_LABEL=integration runs the whole integration suite instead. Shell text; $1 another
# test directory.
inner_ctest() {
    printf 'ctest --test-dir %q -L %q --output-on-failure --no-tests=error --timeout 180\n' \
        "${1:-$BUILD/tests/integration}" "${WORLD_LABEL:-conformance}"
}

# world_command: what the world runs after its report: WORLD_COMMAND (shell text; the
# benchmarks use it, and it gives a shell in the world for debugging) or inner_ctest.
world_command() {
    if [ -n "${WORLD_COMMAND:-}" ]; then printf '%s\n' "$WORLD_COMMAND"; else inner_ctest; fi
}

# world_report: shell text that, run inside the world, prints one line naming the kernel,
# the cgroup layout and the driver --driver auto picks, and fails (exit 1) when auto does
# not pick EXPECT_AUTO (default: EXPECT_DRIVER).
world_report() {
    local sv; sv=$(printf %q "$BUILD/supervise")
    cat <<REPORT
_fs=\$(stat -f -c %T /sys/fs/cgroup)
case \$_fs in
cgroup2fs) _layout="pure cgroup v2 (controllers: \$(cat /sys/fs/cgroup/cgroup.subtree_control))" ;;
tmpfs) _layout="hybrid (cgroup2 at /sys/fs/cgroup/unified, v1 controllers)" ;;
*) _layout=\$_fs ;;
esac
_mgr=none; [ -d /run/systemd/system ] && _mgr="systemd \$(systemctl show -P Version 2>/dev/null) as PID 1"
if [ "\$(id -u)" != 0 ] || [ "\${SUPERVISE_SYSTEMD_MANAGER:-}" = user ]; then
    _v=\$(systemctl --user show -P Version 2>/dev/null) && _mgr="\$_mgr, a user manager (systemd \$_v)"
fi
_dry=\$(env -u SUPERVISE_DRIVER $sv --driver auto --dry-run -- true 2>&1)
_auto=\$(echo "\$_dry" | sed -n 's/^driver: //p')
echo "world $WORLD: kernel \$(uname -r), \$_layout, manager: \$_mgr, user \$(id -un), --driver auto picks: \${_auto:-nothing} (\$(echo "\$_dry" | sed -n 's/^cgroup: //p'))" >&2
if [ "\$_auto" != "${EXPECT_AUTO:-$EXPECT_DRIVER}" ]; then
    echo "FAIL: world $WORLD: --driver auto picks '\$_auto', expected '${EXPECT_AUTO:-$EXPECT_DRIVER}'" >&2
    env -u SUPERVISE_DRIVER $sv doctor >&2
    exit 1
fi
REPORT
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
