#!/bin/bash
# The runner killed -9 while its command runs: the task stays running while its cgroup is
# populated; once the command ends it is lost (never succeeded), wait exits 125, and the
# next start runs it again.
. "$TESTS_DIR/task_lib.sh"

CMD=(sh -c 'echo $$ >>"$0.runs"; echo $$ >"$0.in"; while [ ! -e "$0.stop" ]; do sleep 0.02; done' "$W/k")
run task start k -- "${CMD[@]}";  assert_status 0
wait_for_file "$W/k.in"
command_pid=$(cat "$W/k.in")
runner=$(task_json k runner_pid)
RUNNER_PIDS+=("$runner")
assert_eq true "$(task_json k runner_alive)" "runner_alive before the kill"
ours_alive "$runner" || fail "runner pid $runner from 'task status --json' is not a live process of ours"
kill -KILL "$runner"
until_true 5 eval '! ours_alive "$runner"' || fail "the runner did not die"
assert_eq running "$(task_state k)" "state with the runner gone and the command running"
assert_eq false "$(task_json k runner_alive)" "runner_alive after the kill"
ours_alive "$command_pid" || fail "the command died with its runner"
sv_bg waiter task wait k -q
sleep 0.3
_our_child_running "${BG_PID[waiter]}" || fail "wait returned while the command runs: $(bg_err waiter)"

release k
until_true 5 eval '! ours_alive "$command_pid"' || fail "the command did not end"
sv_wait waiter 10;  assert_eq 125 "$RC" "exit status of the waiter ($(bg_err waiter))"
assert_eq lost "$(task_state k)" "state after the command ended"
assert_eq null "$(task_json k exit_status)" "exit_status of a lost task"
run task wait k -q;  assert_status 125

rm -f "$W/k.stop" "$W/k.in"
run task start k -- "${CMD[@]}";  assert_status 0
assert_contains "$ERR" "started task k" "start after lost"
runner_of k
wait_for_file "$W/k.in"
assert_eq 2 "$(wc -l <"$W/k.runs")" "times the command ran"
release k
run task wait k -q;  assert_status 0
