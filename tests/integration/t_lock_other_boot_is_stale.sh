#!/bin/bash
# A record written in another boot is stale: after a reboot, a record that names a run
# (its cgroup gone with that boot) or a foreground process frees its slot. A live run's
# cgroup, though, holds its slot in this boot whatever its record says (edited boot id).
#@ conformance
. "$TESTS_DIR/lock_lib.sh"

other_boot=00000000-0000-4000-8000-000000000000
[ "$(cat /proc/sys/kernel/random/boot_id)" != "$other_boot" ] || skip "this boot has the test's 'other' boot id"

# a run
sv_bg holder --lock b -- "${HOLD[@]}" "$W/holder"
wait_for_file "$W/holder.in"
record=$(record_file b)
lock_busy b || fail "check: free while the run holds it"
edit_record "$record" boot_id "$(cat /proc/sys/kernel/random/boot_id)"   # control: rewritten as is
lock_busy b || fail "check: free after the record was rewritten unchanged: $(cat "$record")"
cp "$record" "$W/record-of-the-run"
edit_record "$record" boot_id "$other_boot"
run check b;  assert_status 1
assert_match "$ERR" "rebuilt from the cgroup tree" "stderr of check of a live run's edited record"
ours_alive "$(cat "$W/holder.in")" || fail "the holder's command was harmed"
release holder
sv_wait holder
assert_eq 0 "$RC" "the holder's exit status"
lock_free b || fail "check: lock b held after its run ended"
# after a "reboot": the record of that run, from another boot, its cgroup long gone
run --lock b -- true;  assert_status 0  # (a run's release leaves its pool in place)
cp "$W/record-of-the-run" "$record"
edit_record "$record" boot_id "$other_boot"
run check b;  assert_status 0
assert_eq "" "$ERR" "stderr of check"
[ ! -e "$record" ] || fail "the stale record of another boot was left"

# a foreground process
sleep 60 &
owner=$!
run lock bp --owner "$owner";  assert_status 0
lock_busy bp || fail "check: free while the process holds it"
edit_record "$(record_file bp)" boot_id "$other_boot"
run check bp;  assert_status 0
ours_alive "$owner" || fail "the owner process was harmed"
kill "$owner"; wait "$owner" 2>/dev/null || true
