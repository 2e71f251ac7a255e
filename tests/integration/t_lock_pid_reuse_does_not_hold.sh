#!/bin/bash
# A foreground owner is its pid *and* its start time: once it has exited, another process
# that gets its pid does not hold the lock. (Reuse is simulated: the record's pid is pointed
# at an unrelated live process, the start time kept.)
. "$TESTS_DIR/lock_lib.sh"

sleep 60 &   # (ended below, by the test: in a slow guest two runs outlast any short sleep)
short=$!
run lock pr --owner "$short";  assert_status 0
record=$(record_file pr)
[ -f "$record" ] || fail "no owner record at $record: $(ls -R "$SUPERVISE_STATE_DIR")"
grep -q "^pid=$short$" "$record" || fail "the record does not name pid $short: $(cat "$record")"
grep -q '^start_time=[1-9]' "$record" || fail "the record has no start time: $(cat "$record")"
cp "$record" "$W/record"
lock_busy pr || fail "check: free while its owner $short lives"
kill "$short"; wait "$short" 2>/dev/null

sleep 60 &
unrelated=$!
start=$(awk '{sub(/.*\) /, ""); print $20}' "/proc/$unrelated/stat")
# control: the record, pointed at the live process *with* its start time, holds
cp "$W/record" "$record"
edit_record "$record" pid "$unrelated"
edit_record "$record" start_time "$start"
lock_busy pr || fail "check: free although the record names a live process and its start time: $(cat "$record")"
# reuse: the live process's pid with the old owner's start time does not hold
cp "$W/record" "$record"
edit_record "$record" pid "$unrelated"
run check pr;  assert_status 0
assert_eq "" "$ERR" "stderr of check"
run --lock pr --wait 0 -- true;  assert_status 0
ours_alive "$unrelated" || fail "the unrelated process $unrelated was harmed"
kill "$unrelated"; wait "$unrelated" 2>/dev/null || true
