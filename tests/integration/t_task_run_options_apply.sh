#!/bin/bash
# Run options apply to a task: --memory 50M and a 200M allocation end in an OOM kill (137,
# oom_killed in its result), --timeout ends it with 124.
. "$TESTS_DIR/task_lib.sh"

run task run oom --memory 50M -- perl -e '$x = q(x) x (200*1024*1024); print qq(allocated\n)'
skip_if_unenforceable --memory
skip_if_unenforceable memory
assert_status 137
runner_of oom
run task status oom --json;  assert_status 0
assert_eq failed "$(json state)" "state"
assert_eq 137 "$(json exit_status)" "exit_status"
json result >"$W/result.json"
assert_eq true "$(json oom_killed "$W/result.json")" "oom_killed in the result"
run task log oom
assert_not_contains "$OUT" allocated "the task's log"

run task run slow --timeout 0.5s -- sleep 30;  assert_status 124
runner_of slow
assert_cmp "$ELAPSED" '<' 10 "seconds before the timeout ended the task"
