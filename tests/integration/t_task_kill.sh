#!/bin/bash
# kill signals the whole tree of a running task (TERM by default, --signal to choose); the
# task then has the signal's status; kill of a task that is not running exits 1.
. "$TESTS_DIR/task_lib.sh"

TREE=(sh -c 'setsid sleep 300 & echo $! >"$0.kid"; echo $$ >"$0.in"; while :; do sleep 0.02; done')
run task start t -- "${TREE[@]}" "$W/t";  assert_status 0
runner_of t
wait_for_file "$W/t.in"; wait_for_file "$W/t.kid"
kid=$(cat "$W/t.kid")
run task kill t;  assert_status 0
run task wait t -q;  assert_status 143
assert_contains "$(task_json t state)" failed "state after kill"
until_true 5 eval '! ours_alive "$kid"' || fail "the setsid'd grandchild $kid survived the kill"
run task kill t;  assert_status 1
assert_contains "$ERR" "not running" "kill of a finished task"

run task start k -- "${HOLD[@]}" "$W/k";  assert_status 0
runner_of k
wait_for_file "$W/k.in"
run task kill k --signal KILL;  assert_status 0
run task wait k -q;  assert_status 137
