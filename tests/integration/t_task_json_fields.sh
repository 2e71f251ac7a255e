#!/bin/bash
# status --json and list --json: the fields while running and once finished.
. "$TESTS_DIR/task_lib.sh"

run task start j -- "${HOLD[@]}" "$W/j" 2;  assert_status 0
runner_of j; runner=$RUNNER
wait_for_file "$W/j.in"
until_true 5 eval '[ "$(task_json j cgroup)" != null ]' || fail "no cgroup in status --json"
run task status j --json;  assert_status 0
assert_eq j "$(json id)" "id"
assert_eq running "$(json state)" "state"
assert_eq null "$(json exit_status)" "exit_status"
assert_eq null "$(json ended)" "ended"
assert_eq null "$(json result)" "result"
assert_eq "$runner" "$(json runner_pid)" "runner_pid"
assert_eq true "$(json runner_alive)" "runner_alive"
assert_contains "$(json command)" "sh -c" "command"
assert_eq "$TASKS/j/log" "$(json log)" "log"
[ -d "$(json cgroup)" ] || fail "cgroup $(json cgroup) is not a directory"
started=$(json started)
assert_cmp "$started" '>' "$(date +%s) - 60" "started"

release j
run task wait j -q;  assert_status 2
run task status j --json;  assert_status 0
assert_eq failed "$(json state)" "state"
assert_eq 2 "$(json exit_status)" "exit_status"
assert_eq false "$(json runner_alive)" "runner_alive"
assert_cmp "$(json ended)" '>=' "$started" "ended"
json result >"$W/result.json"
assert_eq 2 "$(json exit_code "$W/result.json")" "result.exit_code"

run task list --json;  assert_status 0
"$PY" -c 'import json,sys; l=json.load(open(sys.argv[1])); assert [t["id"] for t in l] == ["j"] and l[0]["exit_status"] == 2, l' "$W/out" ||
    fail "list --json: $OUT"
