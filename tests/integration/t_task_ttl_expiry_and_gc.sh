#!/bin/bash
# A result is kept for its --ttl (start returns it), then expired: status says so, the next
# start runs it again, and gc removes the expired record and its log but nothing else.
. "$TESTS_DIR/task_lib.sh"

CMD=(sh -c 'echo ran >>"$0"' "$W/runs")
run task run t --ttl 1s -- "${CMD[@]}";  assert_status 0
runner_of t
run task start t --ttl 1s -- "${CMD[@]}";  assert_status 0
assert_contains "$ERR" "not run again" "start within the TTL"
assert_eq 1 "$(wc -l <"$W/runs")" "runs within the TTL"

until_true 5 state_is t expired || fail "never expired: $(cat "$W/status.json")"
run task status t;  assert_status 0
assert_contains "$OUT" "t: expired" "status after the TTL"
run task run t --ttl 1s -- "${CMD[@]}";  assert_status 0
runner_of t
assert_eq 2 "$(wc -l <"$W/runs")" "runs after the TTL"

run task run keep -- true;  assert_status 0
runner_of keep
until_true 5 state_is t expired || fail "never expired again"
[ -e "$TASKS/t/log" ] || fail "no log for task t before gc"
run task gc;  assert_status 0
[ ! -e "$TASKS/t" ] || fail "gc left $(ls -A "$TASKS/t")"
run task status t;  assert_status 1
run task status keep;  assert_status 0
assert_contains "$OUT" "keep: succeeded" "a task without TTL after gc"
