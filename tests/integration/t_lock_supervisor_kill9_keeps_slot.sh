#!/bin/bash
# The slot belongs to the run's cgroup, not to the supervise process: with supervise
# killed -9 while its command runs, the slot stays held until the command ends, then is
# free at once, goes to the waiter, and the empty cgroup is removed by the next supervise
# that looks.
#@ conformance
. "$TESTS_DIR/lock_lib.sh"

sv_bg holder --lock k9 -- "${HOLD[@]}" "$W/holder"
wait_for_file "$W/holder.in"
command_pid=$(cat "$W/holder.in")
dirs=$(sed -n 's/^dir=//p' "$(record_file k9)")
[ -n "$dirs" ] || dirs=$(sed -n 's/^cgroup=//p' "$(record_file k9)")
kill -KILL "${BG_PID[holder]}"
sv_wait holder
assert_eq 137 "$RC" "exit status of the killed supervise"
ours_alive "$command_pid" || fail "the command died with its supervise"
lock_busy k9 || fail "check: free while the command of the killed supervise runs"
sv_bg waiter --json --lock k9 -- true
until_true 10 has_waiters k9 1 || fail "the waiter never queued"
sleep 0.5
lock_busy k9 || fail "check: free while the command of the killed supervise runs (later)"
_our_child_running "${BG_PID[waiter]}" || fail "the waiter did not wait: $(bg_err waiter)"

release holder
until_true 5 eval '! ours_alive "$command_pid"' || fail "the command did not end"
sv_wait waiter 5
assert_eq 0 "$RC" "the waiter's exit status"
run check k9;  assert_status 0
for d in $dirs; do
    [ ! -e "$d" ] || fail "the killed supervise's cgroup $d is still there after a check"
done
