#!/bin/bash
# A task whose record is garbage while its run's cgroup (named after the task) is populated
# is running, not lost or an error: status and list say running, a second start joins it
# instead of running the command again, and kill reaches it. The same with a lock.
#@ conformance
. "$TESTS_DIR/task_lib.sh"

for how in plain locked; do
    opts=()
    [ "$how" = locked ] && opts=(--lock tl)
    run task start "g-$how" "${opts[@]}" -- "${HOLD[@]}" "$W/g-$how"
    assert_status 0
    wait_for_file "$W/g-$how.in"
    runner_of "g-$how"
    printf 'version=1\nstate=\x01\xff garbage\n' >"$(record_of "g-$how")"
    assert_eq running "$(task_state "g-$how")" "state of a live task ($how) with a garbled record"
    run task list
    assert_status 0
    assert_contains "$OUT" "g-$how: running" "list ($how)"
    run task start "g-$how" "${opts[@]}" -- touch "$W/again-$how"
    assert_status 0
    [ ! -e "$W/again-$how" ] || fail "a second start ran the command again ($how)"
    run task kill "g-$how"
    assert_status 0
    until_true 10 sh -c "! kill -0 $(cat "$W/g-$how.in") 2>/dev/null" ||
        fail "task kill did not reach the command ($how)"
    # the runner records the end over the garbage
    run task wait "g-$how" --timeout 20
    assert_match "$(task_state "g-$how")" "failed" "state once killed ($how)"
done
assert_no_task_leftovers
