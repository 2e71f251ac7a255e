#!/bin/bash
# A task started by one process is waited for by another: wait blocks while it runs and
# exits with the task's status (3), however many wait.
. "$TESTS_DIR/task_lib.sh"

run task start w -- "${HOLD[@]}" "$W/w" 3;  assert_status 0
runner_of w
wait_for_file "$W/w.in"
sv_bg waiter1 task wait w -q
sv_bg waiter2 task wait w -q
sleep 0.5
_our_child_running "${BG_PID[waiter1]}" || fail "wait returned while the task runs: $(bg_err waiter1)"
_our_child_running "${BG_PID[waiter2]}" || fail "wait returned while the task runs: $(bg_err waiter2)"
release w
sv_wait waiter1 10;  assert_eq 3 "$RC" "exit status of the first waiter ($(bg_err waiter1))"
sv_wait waiter2 10;  assert_eq 3 "$RC" "exit status of the second waiter ($(bg_err waiter2))"
run task wait w -q;  assert_status 3   # and after the end
