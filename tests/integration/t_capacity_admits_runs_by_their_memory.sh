#!/bin/bash
# A lock with a memory budget (--capacity) admits runs by the memory they reserve (their
# --memory): three runs of 400M on 1G never have more than two running at once (from the
# timestamps the commands write), the third waits FIFO with a message saying what it
# needs; a run of 2G on 1G and a run without --memory are refused at once (125), never
# queued; a reservation is held like a slot, so a holder whose supervise is killed -9
# keeps it until its command ends.
#@ conformance
. "$TESTS_DIR/lock_lib.sh"
run --memory 400M -- true
skip_if_unenforceable memory
assert_status 0

# (2 s: long enough for the third run's wait message, said after 1 s of waiting)
job='echo "start $(date +%s%N)" >>"$0"; sleep 2; echo "end $(date +%s%N)" >>"$0"'
for i in 1 2 3; do
    sv_bg "r$i" --lock budget --capacity 1G --memory 400M -- sh -c "$job" "$W/events"
done
for i in 1 2 3; do
    sv_wait "r$i" 60
    assert_eq 0 "$RC" "exit status of run $i: $(bg_err "r$i")"
done
"$PY" - "$W/events" <<'PY' || fail "more than two 400M runs at once on 1G: $(cat "$W/events")"
import sys
events = sorted((int(t), kind) for kind, t in (line.split() for line in open(sys.argv[1])))
running = most = 0
for _, kind in events:
    running += 1 if kind == "start" else -1
    most = max(most, running)
assert len(events) == 6 and most == 2, (most, events)
PY
grep -h "needs 400M, .* of 1G free (2 runs hold 800M" "$W"/r?.err >/dev/null ||
    fail "no wait message saying what the third run needs: $(cat "$W"/r?.err)"

run --lock budget --capacity 1G --memory 2G -- touch "$W/ran"
assert_status 125
assert_contains "$ERR" "memory budget of 1G, less than --memory 2G" "refusal of 2G on 1G"
assert_cmp "$ELAPSED" '<' 10 "seconds until 2G on 1G was refused"
run --lock budget --capacity 1G -- touch "$W/ran"
assert_status 125
assert_contains "$ERR" "give --memory SIZE" "refusal of a run without --memory"
[ ! -e "$W/ran" ] || fail "a refused run ran"

# kill -9 of a holder's supervise: its reservation stays while its command lives
sv_bg holder --lock budget --capacity 1G --memory 600M -- "${HOLD[@]}" "$W/h"
wait_for_file "$W/h.in"
kill -KILL "${BG_PID[holder]}"
sv_wait holder
sv_bg second --lock budget --capacity 1G --memory 600M -- touch "$W/second-ran"
sleep 1.5
[ ! -e "$W/second-ran" ] || fail "a 600M run started while a killed supervise's 600M command still ran"
release h
sv_wait second 30
assert_eq 0 "$RC" "exit status of the second run: $(bg_err second)"
[ -e "$W/second-ran" ] || fail "the second run never ran"
run list budget --json
assert_eq "[]" "$OUT" "the pool once every run has ended"
