#!/bin/bash
# A pool nobody holds or waits for is removed by whoever looks at it and sees it so
# (list, check, unlock, kill-all): after kill-all, list shows nothing and the state
# directory holds no pool. Removal happens under the pool's lock, so runs that use a
# pool for the first time while others remove it all get their slot.
. "$TESTS_DIR/lock_lib.sh"

run --lock once -- true;  assert_status 0
run list;  assert_status 0
assert_eq "" "$OUT" "list after the only run of a lock ended"
[ ! -e "$LOCK_STATE_DIR/locks/once" ] || fail "list left the pool of a run that ended: $(ls -A "$LOCK_STATE_DIR/locks/once")"

sv_bg held --lock ka -- "${HOLD[@]}" "$W/held"
wait_for_file "$W/held.in"
sleep 60 &
owner=$!
run lock kb --owner "$owner";  assert_status 0
run list;  assert_status 0
assert_contains "$OUT" "ka: 1 of 1 slot held" "list while held"
run kill-all;  assert_status 0
sv_wait held
kill "$owner" 2>/dev/null; wait "$owner" 2>/dev/null
run list;  assert_status 0
assert_eq "" "$OUT" "list after kill-all"
run list --json;  assert_eq "[]" "$OUT" "list --json after kill-all"
assert_eq "" "$(ls -A "$LOCK_STATE_DIR/locks")" "pools left in the state directory after kill-all"

# first uses racing removals: every run gets its slot, and at most 2 hold at once
for i in $(seq 1 8); do
    sv_bg "r$i" --lock race --slots 2 -- sh -c 'echo $$ >>"$0/holders"; n=$(ls "$0"/in-* 2>/dev/null | wc -l); touch "$0/in-$$"; [ "$n" -lt 2 ] || echo over >>"$0/over"; sleep 0.2; rm -f "$0/in-$$"' "$W"
    run check race   # looks at the pool (and removes it when unused) between the starts
done
for i in $(seq 1 8); do
    sv_wait "r$i"
    assert_eq 0 "$RC" "exit status of racing run $i ($(bg_err "r$i"))"
done
assert_eq 8 "$(wc -l <"$W/holders")" "runs that held a slot"
[ ! -e "$W/over" ] || fail "more than 2 runs held a slot of a 2-slot pool at once"
run list;  assert_eq "" "$OUT" "list after the racing runs"
assert_no_lock_leftovers
no_leftovers
