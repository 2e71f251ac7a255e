#!/bin/bash
# A lock not obtained within --wait: exit 75 (or --conflict-exit-code), one message, the
# command never runs, the waiter leaves the queue. --wait 0 tries once. A slot freed within
# the wait is taken.
. "$TESTS_DIR/lock_lib.sh"

sv_bg holder --lock t -- "${HOLD[@]}" "$W/holder"
wait_for_file "$W/holder.in"

run --lock t --wait 0 -- touch "$W/ran"
assert_status 75
assert_cmp "$ELAPSED" '<' 2 "--wait 0 returns at once"
assert_match "$ERR" "lock t not obtained" "message for --wait 0"

run --lock t --wait 700ms -- touch "$W/ran"
assert_status 75
assert_cmp "$ELAPSED" '>=' 0.65 "--wait 700ms waited"
assert_cmp "$ELAPSED" '<' 5 "--wait 700ms gave up"
assert_match "$ERR" "lock t not obtained within" "message for --wait 700ms"
assert_eq 1 "$(printf '%s\n' "$ERR" | grep -c .)" "lines on stderr"

run --lock t --wait 0 --conflict-exit-code 3 -- touch "$W/ran";   assert_status 3
run --lock t --wait 300ms --conflict-exit-code 0 -- touch "$W/ran"; assert_status 0
run lock t --wait 0;                                               assert_status 75
run lock t --wait 200ms --conflict-exit-code 9;                    assert_status 9
[ ! -e "$W/ran" ] || fail "a command ran without the lock"
assert_eq 0 "$(waiters t)" "waiters left in the queue"

# freed during the wait: taken, with the lock facts in the JSON result
sv_bg late --json --lock t --wait 20s -- true
until_true 10 has_waiters t 1 || fail "the waiter never queued"
release holder
sv_wait late
assert_eq 0 "$RC" "exit status of a waiter whose slot came within --wait"
bg_out late >"$W/late.json"
assert_eq t "$(json lock "$W/late.json")" "JSON lock"
assert_eq 0 "$(json slot "$W/late.json")" "JSON slot"
assert_cmp "$(json wait_seconds "$W/late.json")" '>' 0 "JSON wait_seconds"
sv_wait holder
lock_free t || fail "lock t is not free at the end"
