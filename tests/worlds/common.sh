# Shared by the world runners (sourced). A world runner boots one cgroup world, runs the
# integration tests inside it and exits with their status:
#   0 all passed, 1 a test failed or the world broke while running, 77 the world cannot
#   start on this machine (printed loudly: "SKIP: world ...: reason").
# Usage of every runner: WORLD.sh BUILD_DIR [SOURCE_DIR]
# Environment: WORLD_TIMEOUT (seconds, default 900), WORLD_LABEL (the ctest label to run,
# default conformance), WORLD_COMMAND (shell text to run instead of the tests).
set -euo pipefail

WORLD=$(basename "$0" .sh)
BUILD=$(realpath "${1:?usage: $0 BUILD_DIR [SOURCE_DIR]}")
SOURCE=$(realpath "${2:-$(dirname "$(readlink -f "$0")")/../..}")
WORLD_TIMEOUT=${WORLD_TIMEOUT:-900}   # seconds a world may run in all (ctest kills at 960)
_t0=$(date +%s)
unset EXPECT_AUTO   # (a runner sets it when auto must pick another driver than the tests')

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
# Seconds left of WORLD_TIMEOUT (at least 1).
time_left() { local l=$((WORLD_TIMEOUT - $(elapsed))); [ "$l" -gt 0 ] && echo "$l" || echo 1; }

# run_bounded CMD...: CMD with what is left of WORLD_TIMEOUT (timeout(1) signals its whole
# process group: TERM, then KILL 10 s later), in the background, so that a signal to the
# runner ends it at once (the runner's trap calls stop_bounded). Returns CMD's status; 124
# when the time ran out.
_bounded=
run_bounded() {
    local rc=0
    timeout -k 10 "$(time_left)" "$@" </dev/null &
    _bounded=$!
    wait "$_bounded" || rc=$?
    _bounded=
    [ "$rc" != 124 ] || say "ran longer than WORLD_TIMEOUT=$WORLD_TIMEOUT s: stopped"
    return "$rc"
}
stop_bounded() {
    [ -n "$_bounded" ] || return 0
    kill -TERM "$_bounded" 2>/dev/null || true
    wait "$_bounded" 2>/dev/null || true
    _bounded=
}

# check_share_path PATH: refuse a path the guest or container cannot be given as is (the
# systemd unit lines and bind options that carry it treat these characters specially)
check_share_path() {
    case "$1" in
    *[%\$\"\\\`:]* | *$'\n'* | *' ') world_fail "cannot share $1 with the world: a path with % \$ \" \\ \` : a newline or a trailing space" ;;
    esac
}
check_share_path "$SOURCE"
check_share_path "$BUILD"

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
    if [ -n "${WORLD_COMMAND:-}" ]; then printf '%s\n' "$WORLD_COMMAND"; else inner_ctest "$@"; fi
}

# world_report: shell text that, run inside the world, prints one line naming the kernel,
# the cgroup layout (supervise doctor's first line), the manager and the driver
# --driver auto picks with the cgroup a run would get. Whether auto picks the one this
# world calls for is t_auto_driver_matches_world's to say (SUPERVISE_EXPECT_AUTO).
world_report() {
    local sv; sv=$(printf %q "$BUILD/supervise")
    cat <<REPORT
_mgr=none; [ -d /run/systemd/system ] && _mgr="systemd \$(systemctl show -P Version 2>/dev/null) as PID 1"
if [ "\$(id -u)" != 0 ] || [ "\${SUPERVISE_SYSTEMD_MANAGER:-}" = user ]; then
    _v=\$(systemctl --user show -P Version 2>/dev/null) && _mgr="\$_mgr, a user manager (systemd \$_v)"
fi
_dry=\$(env -u SUPERVISE_DRIVER $sv --driver auto --dry-run -- true 2>&1)
echo "world $WORLD: kernel \$(uname -r), \$($sv doctor 2>&1 | head -1), manager: \$_mgr, user \$(id -un), --driver auto picks: \$(echo "\$_dry" | sed -n 's/^driver: //p') (\$(echo "\$_dry" | sed -n 's/^cgroup: //p'))" >&2
REPORT
}

# world_script [TEST_DIR]: the whole command a world runs, as shell text: into the source
# tree, the tests' environment, the report, then world_command (ctest in TEST_DIR).
world_script() {
    printf 'cd %q || exit 1\n' "$SOURCE"
    printf 'export %q\n' $(world_env)
    world_report
    world_command "$@"
}

# Environment for the tests inside the world: NAME=VALUE lines. With WORLD_FORBIDS_SKIPS
# (the QEMU worlds: pure v2, every controller there), SUPERVISE_FORBID_SKIP makes a test that
# would skip fail instead: there a skip would mean a driver refused what it must do. On the
# hybrid host some limits cannot be enforced by some drivers, and those tests skip loudly.
world_env() {
    echo "SUPERVISE_EXPECT_DRIVER=$EXPECT_DRIVER"
    echo "SUPERVISE_EXPECT_AUTO=${EXPECT_AUTO:-$EXPECT_DRIVER}"
    echo "SUPERVISE_DRIVER=$EXPECT_DRIVER"
    # (the conformance tests; in the rest, some tests are not for some drivers)
    [ -z "${WORLD_FORBIDS_SKIPS:-}" ] || [ "${WORLD_LABEL:-conformance}" != conformance ] ||
        echo "SUPERVISE_FORBID_SKIP=1"
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

# kill_cgroup_tree DIR: a cgroup of the runner's own, with whatever is left in it, goes:
# cgroup.kill, until it is empty (at most 5 s), then its directories, deepest first.
kill_cgroup_tree() {
    [ -d "$1" ] || return 0
    local i
    for ((i = 0; i < 50; i++)); do
        grep -q 'populated 1' "$1/cgroup.events" 2>/dev/null || break
        echo 1 >"$1/cgroup.kill" 2>/dev/null
        sleep 0.1
    done
    find "$1" -depth -type d -exec rmdir {} \; 2>/dev/null
    return 0
}

# A directory shared with a guest: on the host's disk, not under /tmp or /run (guests
# mount their own there), and on the same paths inside.
handover_dir() {
    find "${WORLD_WORKDIR:-/var/tmp}" -maxdepth 1 -name 'supervise-world-*' -mmin +720 \
        -exec rm -rf {} + 2>/dev/null || true   # (left by a runner killed -9, half a day ago)
    mktemp -d "${WORLD_WORKDIR:-/var/tmp}/supervise-world-$WORLD.XXXXXX"
}
