#!/bin/bash
# kill NAME signals the holders' whole trees (default TERM: the holder exits 143); an
# unknown lock is exit 1. kill-all kills every run (137), cancels the waiters (75, saying
# so) and foreground holders, and leaves no record, no cgroup and no process.
#@ conformance
. "$TESTS_DIR/lock_lib.sh"

# kill: the whole tree of the holder, not only its main process
sv_bg holder --lock k -- sh -c 'sleep 60 & echo $! >"$0.child"; echo $$ >"$0.in"; wait' "$W/holder"
wait_for_file "$W/holder.in"
child=$(cat "$W/holder.child")
run kill k;  assert_status 0
sv_wait holder
assert_eq 143 "$RC" "exit status of the holder killed with 'supervise kill'"
! ours_alive "$child" || fail "the holder's child $child survived 'supervise kill'"
run kill k --signal KILL;  assert_status 0        # no holder now: still a known lock
run kill "no-such-lock";   assert_status 1
assert_eq 1 "$(printf '%s\n' "$ERR" | grep -c .)" "lines on stderr of kill of an unknown lock"

# kill-all: a holder, two waiters, a foreground holder
sv_bg holder --lock k -- "${HOLD[@]}" "$W/h2"
wait_for_file "$W/h2.in"
sv_bg w1 --lock k -- touch "$W/ran1"
until_true 10 has_waiters k 1 || fail "waiter 1 never queued"
sv_bg w2 --lock k --wait 1h -- touch "$W/ran2"
until_true 10 has_waiters k 2 || fail "waiter 2 never queued"
sleep 60 &
owner=$!
run lock fg --owner "$owner";  assert_status 0
run kill-all;  assert_status 0
assert_match "$ERR" "killed 1 run, 1 lock-holding process; cancelled 2 waiters" "kill-all summary"
sv_wait holder; assert_eq 137 "$RC" "exit status of the holder after kill-all"
for w in w1 w2; do
    sv_wait "$w"
    assert_eq 75 "$RC" "exit status of $w after kill-all"
    assert_contains "$(bg_err "$w")" "cancelled" "message of $w"
done
[ ! -e "$W/ran1" ] && [ ! -e "$W/ran2" ] || fail "a cancelled waiter ran its command"
wait "$owner" 2>/dev/null
! ours_alive "$owner" || fail "the foreground holder $owner survived kill-all"
run list --json;  assert_status 0
"$PY" -c 'import json,sys; assert all(not p["holders"] and not p["waiters"] for p in json.load(open(sys.argv[1])))' "$W/out" ||
    fail "list after kill-all: $OUT"
run check k;  assert_status 0
run check fg; assert_status 0
[ -z "$RUNS_PARENT" ] || [ -z "$(find "$RUNS_PARENT" -mindepth 1 -type d 2>/dev/null)" ] ||
    fail "cgroups left under $RUNS_PARENT: $(find "$RUNS_PARENT" -mindepth 1 -type d)"
assert_no_lock_leftovers
strays=$(_strays)
[ -z "$strays" ] || fail "processes alive after kill-all: $strays"
