#!/bin/bash
# The cgroup tree is the truth, whatever the state directory says: while a run holds lock
# k, every file of the pool overwritten with garbage, the owner record deleted or made a
# symlink, or the whole state directory wiped -- `check k` still says held (exit 1), `list
# k` shows the holder, a second `--lock k` is never granted, and the records are rebuilt
# from the populated lock-<hash>-s0-* cgroup. Once the run ends, the slot is free.
#@ conformance
. "$TESTS_DIR/lock_lib.sh"

pool=$SUPERVISE_STATE_DIR/locks/k
held_by_tree() {  # WHAT: check, list and a try-once lock all see the holder
    run check k
    assert_status 1
    assert_match "$ERR" "rebuilt from the cgroup tree" "warning of check after: $1"
    run check k
    assert_status 1
    run list k --json
    assert_status 0
    assert_contains "$OUT" '"slot": 0' "list k after: $1"
    run --lock k --wait 0 -- touch "$W/second"
    assert_status 75
    [ ! -e "$W/second" ] || fail "a second holder of k ran after: $1"
}

sv_bg holder --lock k -- "${HOLD[@]}" "$W/h"
wait_for_file "$W/h.in"

# 1. every file of the pool garbled, the queue's counter too
for f in "$pool"/* "$pool"/queue/.seq; do
    [ -f "$f" ] && printf '\x01garbage\xff\nslot=zero\n' >"$f"
done
held_by_tree "every file garbled"
# the name file was rebuilt from the name given
assert_eq k "$(cat "$pool/name")" "name file after the repair"

# 2. the record deleted
rm -f "$pool/slot-0"
held_by_tree "the record deleted"

# 3. the record replaced by a symlink
rm -f "$pool/slot-0"
ln -s /dev/null "$pool/slot-0"
held_by_tree "the record replaced by a symlink"

# 4. the state directory wiped under the live run (an admin cleaning /run)
rm -rf "$SUPERVISE_STATE_DIR"
run list
assert_status 0
assert_match "$ERR" "holds a slot of a lock the state directory has no record of" \
    "list of a wiped state directory"
rm -rf "$SUPERVISE_STATE_DIR"
held_by_tree "the state directory wiped"

# 5. a waiter queued while the record is deleted never starts before the holder ends
sv_bg waiter --lock k --wait 60 -- touch "$W/waiter-ran"
until_true 10 has_waiters k 1 || fail "the waiter never queued: $(bg_err waiter)"
rm -f "$pool/slot-0"
sleep 1
[ ! -e "$W/waiter-ran" ] || fail "the waiter ran while the holder of k still lived"
release h
sv_wait holder
assert_eq 0 "$RC" "exit status of the holder"
sv_wait waiter
assert_eq 0 "$RC" "exit status of the waiter: $(bg_err waiter)"
[ -e "$W/waiter-ran" ] || fail "the waiter never ran"

run check k
assert_status 0
run list
assert_eq "" "$OUT" "list once every run has ended"
