#!/bin/bash
# Garbage in a task's record: status fails with one clear line (no crash), list warns and
# goes on, and reset repairs it.
. "$TESTS_DIR/task_lib.sh"

run task run c -- true;  assert_status 0
runner_of c
run task run fine -- true;  assert_status 0
runner_of fine
printf 'version=1\nstate=\x01\xff garbage\n' >"$(record_of c)"
run task status c
[ "$RC" != 0 ] && [ "$RC" -lt 128 ] || fail "status of a corrupt record: exit $RC$(_last_run)"
assert_eq 1 "$(wc -l <"$W/err")" "lines on stderr"
assert_match "$ERR" '^supervise: .*corrupt' "the error"
run task list;  assert_status 0
assert_contains "$OUT" "fine: succeeded" "list with a corrupt record"
assert_contains "$ERR" corrupt "list's warning"
run task reset c;  assert_status 0
run task status c;  assert_status 1
run task run c -- sh -c 'exit 5';  assert_status 5
runner_of c
