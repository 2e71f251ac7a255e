#!/bin/bash
# --priority orders a lock's queue: a later waiter of a higher priority runs before earlier
# ones of priority 0, and those keep their arrival order among themselves (list shows each
# waiter's priority). A waiter's priority rises with its wait (SUPERVISE_PRIORITY_AGING per
# step, at least 1 s): one that has waited 4 steps goes before a later arrival of priority 2. Bad values
# are refused (125).
. "$TESTS_DIR/lock_lib.sh"

queue() {  # LOCK NAME [OPTIONS...]: queue a waiter that appends NAME to $W/order
    local lock=$1 name=$2 before
    shift 2
    before=$(waiters "$lock")
    sv_bg "$name" --lock "$lock" "$@" -- sh -c 'echo "$1" >>"$0"' "$W/order" "$name"
    until_true 10 has_waiters "$lock" $((before + 1)) ||
        fail "waiter $name never showed up in the queue: $("$S" list "$lock")"
}
ran_in_order() {  # EXPECTED WHAT: after releasing the holder, the order the waiters ran in
    release holder
    sv_wait holder
    local name
    for name in $1; do
        sv_wait "$name"
        [ "$RC" = 0 ] || fail "waiter $name exited $RC: $(bg_err "$name")"
    done
    assert_eq "$1" "$(tr '\n' ' ' <"$W/order" | sed 's/ $//')" "$2"
    rm -f "$W/order" "$W/holder.in" "$W/holder.stop"
}

sv_bg holder --lock p -- "${HOLD[@]}" "$W/holder"
wait_for_file "$W/holder.in"
queue p a
queue p b
queue p c --priority 5
queue p d --priority -1
run list p --json
"$PY" - "$W/out" <<'PY' || fail "list of the queue: $OUT"
import json, sys
w = json.load(open(sys.argv[1]))[0]["waiters"]
assert [x["priority"] for x in w] == [5, 0, 0, -1], w
assert all(x["effective_priority"] == x["priority"] for x in w), w
PY
run list p
assert_contains "$OUT" "priority 5" "list's line of the waiter of priority 5"
ran_in_order "c a b d" "order by priority, then arrival"

# Aging: a waiter of priority 0 that has waited 4 steps of 1 s outranks a priority of 2.
export SUPERVISE_PRIORITY_AGING=1s
sv_bg holder --lock aged -- "${HOLD[@]}" "$W/holder"
wait_for_file "$W/holder.in"
queue aged old
sleep 4.3
queue aged new --priority 2
queue aged newest --priority 1
ran_in_order "old new newest" "order once the first waiter has aged past priority 2"
unset SUPERVISE_PRIORITY_AGING

run --lock p --priority 1001 -- touch "$W/ran"
assert_status 125
assert_contains "$ERR" "--priority: expected a whole number from -1000 to 1000, got '1001'" "error of --priority 1001"
run --priority 3 -- touch "$W/ran"
assert_status 125
assert_contains "$ERR" "--priority goes with --lock NAME" "error of --priority without --lock"
SUPERVISE_PRIORITY_AGING=soon run --lock p -- touch "$W/ran"
assert_status 125
assert_contains "$ERR" "SUPERVISE_PRIORITY_AGING" "error of a bad SUPERVISE_PRIORITY_AGING"
SUPERVISE_PRIORITY_AGING=10ms run --lock p -- touch "$W/ran"
assert_status 125
assert_contains "$ERR" "SUPERVISE_PRIORITY_AGING: at least 1s" "error of an aging below 1 s"
[ ! -e "$W/ran" ] || fail "a refused run ran"
assert_no_lock_leftovers
