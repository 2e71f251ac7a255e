#!/bin/bash
# Every verb that names a task exits 1 for an id never started (and says so); list and gc
# of nothing exit 0.
. "$TESTS_DIR/task_lib.sh"

for verb in status wait log kill reset; do
    run task "$verb" nope;  assert_status 1
    assert_contains "$ERR" "nope" "message of task $verb"
done
run task status nope --json;  assert_status 1
assert_eq "" "$OUT" "stdout of status --json"
run task list;  assert_status 0
assert_eq "" "$OUT" "list of no tasks"
run task list --json;  assert_status 0
assert_eq "[]" "$OUT" "list --json of no tasks"
run task gc;  assert_status 0
