#!/bin/bash
# kill-all kills supervise's runs only: a cgroup of someone else's beside them (same
# parent, a name supervise does not give its runs) and its process are left alone.
. "$TESTS_DIR/lock_lib.sh"

[ -n "$RUNS_PARENT" ] || skip "the $LOCK_DRIVER driver keeps runs in systemd scopes; no shared parent to test"
sv_bg holder --lock f -- "${HOLD[@]}" "$W/holder"
wait_for_file "$W/holder.in"
[ -d "$RUNS_PARENT" ] || fail "runs are not under $RUNS_PARENT: $(cat /proc/"$(cat "$W/holder.in")"/cgroup)"
foreign=$RUNS_PARENT/foreign-$$
mkdir "$foreign" || fail "cannot create $foreign"
sleep 60 &
victim=$!
echo "$victim" >"$foreign/cgroup.procs" || fail "cannot move $victim into $foreign"
run kill-all;  assert_status 0
sv_wait holder; assert_eq 137 "$RC" "exit status of the holder after kill-all"
ours_alive "$victim" || fail "kill-all killed the process $victim in the foreign cgroup $foreign"
[ -d "$foreign" ] || fail "kill-all removed the foreign cgroup $foreign"
grep -qx "$victim" "$foreign/cgroup.procs" || fail "the process left the foreign cgroup"
kill "$victim"; wait "$victim" 2>/dev/null
until_true 5 eval '[ -z "$(cat "$foreign/cgroup.procs")" ]' || fail "the foreign process did not end"
rmdir "$foreign" || fail "cannot remove $foreign"
run --lock f -- true;  assert_status 0   # the next run removes the empty parent with its own cgroup
