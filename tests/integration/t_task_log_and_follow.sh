#!/bin/bash
# The task's stdout and stderr go to its log; log -f shows everything and ends when the
# task ends.
. "$TESTS_DIR/task_lib.sh"

run task start l -- sh -c 'echo first; echo to-stderr >&2; while [ ! -e "$0.stop" ]; do sleep 0.02; done; echo last' "$W/l"
assert_status 0
runner_of l
until_true 10 eval '"$S" task log l 2>/dev/null | grep -q to-stderr' || fail "the log never showed the output"
sv_bg follow task log l -f
sleep 0.5
_our_child_running "${BG_PID[follow]}" || fail "log -f ended while the task runs: $(bg_out follow)"
release l
sv_wait follow 10
assert_eq 0 "$RC" "exit status of log -f"
assert_eq "first to-stderr last" "$(bg_out follow | grep -v '^supervise:' | tr '\n' ' ' | sed 's/ $//')" "log -f output"
run task log l;  assert_status 0
assert_eq "first to-stderr last" "$(grep -v '^supervise:' "$W/out" | tr '\n' ' ' | sed 's/ $//')" "log output"
