# Helpers for the task integration tests (t_task_*.sh), on top of lib.sh. Each of them
# sources this file instead of lib.sh:
#   . "$TESTS_DIR/task_lib.sh"
# It adds:
#   - a private state directory (SUPERVISE_STATE_DIR, exported; tasks in $TASKS);
#   - for the direct drivers, a private cgroup root (SUPERVISE_CGROUP_ROOT, exported), so
#     every run of this test's task runners is in one place to check and to clean;
#   - sv_bg/sv_wait to run supervise processes in the background, each with its output;
#   - task_json/task_state/record_of/runner_of to read tasks back;
#   - a cleanup that fails a passing test when a runner, a command or a cgroup is left,
#     and removes them all, even on failure. Runners are detached (their own session,
#     reparented to init), so they are found by the test's token, never by name.

. "$TESTS_DIR/lib.sh"

S=$SUPERVISE
SUPERVISE_STATE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/supervise-task-state.XXXXXX")
export SUPERVISE_STATE_DIR
TASKS=$SUPERVISE_STATE_DIR/tasks

_doctor=$("$S" doctor --json 2>/dev/null)
_doctor_field() { printf '%s' "$_doctor" | "$PY" -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1]) or "")' "$1" 2>/dev/null; }
TASK_DRIVER=${SUPERVISE_DRIVER:-auto}
[ "$TASK_DRIVER" = auto ] && TASK_DRIVER=$(_doctor_field auto)
V2_MOUNT=$(_doctor_field unified_mount)
[ -n "$TASK_DRIVER" ] || skip "supervise doctor finds no usable cgroup driver here"

TASK_CG_ROOT=
if [ "$TASK_DRIVER" != systemd ] && [ -n "$V2_MOUNT" ]; then
    _own=$(sed -n 's/^0:://p' /proc/self/cgroup)
    TASK_CG_ROOT=${V2_MOUNT}${_own%/}/sv-task-it-$TEST_TOKEN
    mkdir "$TASK_CG_ROOT" 2>/dev/null || skip "cannot create a private cgroup $TASK_CG_ROOT"
    export SUPERVISE_CGROUP_ROOT=$TASK_CG_ROOT
fi


# Is PID a live (non-zombie) process that this test started?
ours_alive() {
    local st
    grep -qaF "TEST_TOKEN=$TEST_TOKEN" "/proc/$1/environ" 2>/dev/null || return 1
    st=$(awk '/^State:/{print $2}' "/proc/$1/status" 2>/dev/null)
    [ -n "$st" ] && [ "$st" != Z ]
}

# A command that runs until the test says: `"${HOLD[@]}" "$W/KEY"` writes its pid to
# $W/KEY.in and returns (with status ${3:-0}) once `release KEY` has created $W/KEY.stop.
HOLD=(sh -c 'echo $$ >"$0.in"; while [ ! -e "$0.stop" ]; do sleep 0.02; done; exit "${1:-0}"')
release() { : >"$W/$1.stop"; }

# record_of ID: the record file of a (plainly named) task
record_of() { echo "$TASKS/$1/record"; }
# task_json ID FIELD: a field of `supervise task status ID --json` (strings raw, null)
task_json() {
    "$S" task status "$1" --json 2>"$W/status.err" >"$W/status.json" ||
        fail "task status $1 --json exited $?: $(cat "$W/status.err")"
    json "$2" "$W/status.json"
}
task_state() { task_json "$1" state; }
state_is() { [ "$(task_state "$1")" = "$2" ]; }

# runner_of ID: sets RUNNER to the runner pid in the task's record, and remembers it for
# the cleanup checks (not in $(...): the subshell would forget it).
RUNNER_PIDS=()
runner_of() {
    RUNNER=$(sed -n 's/^runner_pid=//p' "$(record_of "$1")" 2>/dev/null)
    [ -n "$RUNNER" ] || fail "task $1 has no record naming its runner"
    RUNNER_PIDS+=("$RUNNER")
}


# The cgroups of this test's task runs: anything in the private root, and run cgroups
# (v2, v1 twins, systemd scopes) named after a task and a runner pid this test saw.
_all_runner_pids() {
    printf '%s\n' "${RUNNER_PIDS[@]}"
    cat "$TASKS"/*/record 2>/dev/null | sed -n 's/^runner_pid=//p'
}
task_leftovers() {
    local p
    for p in $(_all_runner_pids | sort -u); do
        [ "$p" -gt 0 ] 2>/dev/null || continue
        # task-<hash>-<runner>-<ms> (after lock-<hash>-s<N>-<pid>-<ms>- with a lock)
        find /sys/fs/cgroup -mindepth 1 -type d -name "*task-*-$p-*" 2>/dev/null
    done
    [ -n "$TASK_CG_ROOT" ] && [ -d "$TASK_CG_ROOT" ] && find "$TASK_CG_ROOT" -mindepth 1 -type d 2>/dev/null
    return 0
}
assert_no_task_leftovers() {
    local left i
    for ((i = 0; i < 20; i++)); do   # a just-ended run removes its cgroup a moment later
        left=$(task_leftovers | sort -u)
        [ -z "$left" ] && return 0
        sleep 0.1
    done
    fail "cgroups left behind: $left"
}

_task_cleanup() {
    local rc=$? p i d
    [ "$BASHPID" = "$$" ] || exit "$rc"
    trap - EXIT
    if [ "$rc" = 0 ]; then
        # the test passed: leftovers are a failure of their own
        (assert_no_task_leftovers) || rc=1
        [ "$rc" = 0 ] && { (no_leftovers) || rc=1; }
    fi
    for p in "${SUP_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    # everything in our private root is ours; then whatever else carries our token
    if [ -n "$TASK_CG_ROOT" ] && [ -d "$TASK_CG_ROOT" ]; then
        echo 1 >"$TASK_CG_ROOT/cgroup.kill" 2>/dev/null
    fi
    kill_our_procs
    for d in $(task_leftovers | sort -u -r); do
        case "$d" in
        *.scope) systemctl ${SUPERVISE_SYSTEMD_MANAGER:+--$SUPERVISE_SYSTEMD_MANAGER} stop "${d##*/}" >/dev/null 2>&1 ;;
        *) find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null ;;
        esac
    done
    [ -n "$TASK_CG_ROOT" ] && find "$TASK_CG_ROOT" -depth -type d -exec rmdir {} \; 2>/dev/null
    rm -rf "$SUPERVISE_STATE_DIR"
    (exit "$rc")
    _cleanup
}
trap _task_cleanup EXIT
