#!/bin/bash
# --backfill in a lock with a memory budget: a later run that fits now starts before the
# head of the queue only when it cannot make the head start later (its reservation + the
# head's <= free now + the smallest reservation held); one that could delay it, or one
# without --backfill, waits its turn. The head then starts the moment the holder ends,
# beside the backfill run still running. A run that gives no --capacity takes the lock's
# stored budget (and leaves its slot count alone). (Not a conformance test: the queue's
# rules are the same whatever the driver; t_capacity_admits_runs_by_their_memory is the
# drivers' part of budgets.)
. "$TESTS_DIR/lock_lib.sh"
run --memory 100M -- true
skip_if_unenforceable memory
assert_status 0

budget=(--lock bf --capacity 1000M)
stamp='date +%s%N >"$0.start"; while [ ! -e "$0.stop" ]; do sleep 0.02; done'
sv_bg holder "${budget[@]}" --memory 600M -- "${HOLD[@]}" "$W/holder"
wait_for_file "$W/holder.in"
sv_bg head "${budget[@]}" --memory 800M -- sh -c "$stamp" "$W/head"
until_true 10 has_waiters bf 1 || fail "the head never queued: $("$S" list bf)"
# 300M + 800M > 400M free + 600M: would delay the head
sv_bg big --lock bf --backfill --memory 300M -- sh -c "$stamp" "$W/big"
until_true 10 has_waiters bf 2 || fail "the big one never queued: $("$S" list bf)"
# no --backfill: waits behind the head although it fits
sv_bg plain --lock bf --memory 200M -- sh -c "$stamp" "$W/plain"
until_true 10 has_waiters bf 3 || fail "the waiters never queued: $("$S" list bf)"
# 200M + 800M <= 400M + 600M: fits beside the head when the holder ends
sv_bg small --lock bf --backfill --memory 200M -- sh -c "$stamp" "$W/small"
wait_for_file "$W/small.start" ||
    fail "the backfill run that cannot delay the head did not start: $("$S" list bf)"
run list bf --json
"$PY" - "$W/out" <<'PY' || fail "list of the budget: $OUT"
import json, sys
pool = json.load(open(sys.argv[1]))[0]
assert pool["capacity_bytes"] == 1000 << 20 and pool["slots"] == 100000, pool
assert pool["reserved_bytes"] == 800 << 20, pool
assert [h["reserved_bytes"] for h in pool["holders"]] == [600 << 20, 200 << 20], pool
assert all(h["memory_current_bytes"] > 0 for h in pool["holders"]), pool
w = pool["waiters"]
assert [(x["needs_bytes"] >> 20, x["backfill"]) for x in w] == [(800, False), (300, True), (200, False)], w
PY
sleep 0.5
for name in head big plain; do
    [ ! -e "$W/$name.start" ] || fail "$name started while the head could not: $("$S" list bf)"
done

release holder
wait_for_file "$W/head.start" || fail "the head did not start when the holder ended: $("$S" list bf)"
[ ! -e "$W/big.start" ] && [ ! -e "$W/plain.start" ] ||
    fail "a later run started beside the head: $("$S" list bf)"
for name in head small; do release "$name"; done
wait_for_file "$W/big.start" && wait_for_file "$W/plain.start" ||
    fail "the last two runs did not start: $("$S" list bf)"
for name in big plain; do release "$name"; done
for name in holder head big plain small; do
    sv_wait "$name"
    assert_eq 0 "$RC" "exit status of $name: $(bg_err "$name")"
done
assert_no_lock_leftovers
