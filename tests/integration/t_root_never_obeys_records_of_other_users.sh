#!/bin/bash
# Root never acts on what another user wrote. In a shared (1777) state directory, alice's
# pool names a process of root's (a foreground record) and an empty cgroup of root's (a
# run record): root's `check`, `list` and `kill-all` skip her pool with a warning, kill
# nothing of root's and remove no cgroup. A record of another user's inside root's own
# pool is a forgery too: it is not obeyed (and frees nothing a cgroup holds).
. "$TESTS_DIR/lock_lib.sh"

[ "$(id -u)" = 0 ] || skip "not root: no other user's files can be made here"
[ -n "$LOCK_CG_ROOT" ] || skip "the runs of this world go to systemd scopes (no cgroup root of ours)"
alice=$(awk -F: '$3 >= 1000 && $3 < 60000 { print $3; exit }' /etc/passwd)
alice=${alice:-65534}
as_alice() { setpriv --reuid="$alice" --regid="$alice" --clear-groups "$@"; }

shared=$W/shared
mkdir -m 1777 "$shared"
chmod 755 "$W"

# alice's sleep holds her lock k, then she rewrites her record to name root's process
setpriv --reuid="$alice" --regid="$alice" --clear-groups sleep 60 &
alice_sleep=$!
sleep 60 &
root_sleep=$!
alice_runs() { [ "$(stat -c %u "/proc/$alice_sleep" 2>/dev/null)" = "$alice" ]; }
until_true 5 alice_runs || fail "alice's sleep did not start"
as_alice env SUPERVISE_STATE_DIR="$shared" "$S" lock k --owner "$alice_sleep" ||
    fail "alice could not take lock k in $shared"
record=$shared/locks/k/slot-0
[ -f "$record" ] || fail "no record of alice's lock at $record"
root_start=$(awk '{ print $22 }' "/proc/$root_sleep/stat")
as_alice sh -c "sed -e 's/^pid=.*/pid=$root_sleep/' -e 's/^start_time=.*/start_time=$root_start/' \
    '$record' >'$record.new' && mv '$record.new' '$record'"
# ... and a second pool of hers names an empty cgroup of root's
victim=$LOCK_CG_ROOT/victim
mkdir "$victim"
as_alice mkdir -p "$shared/locks/j"
as_alice sh -c "printf '%s\n' version=1 kind=run slot=0 pid=1 boot_id=$(cat /proc/sys/kernel/random/boot_id) \
    cgroup=$victim cgroup_id=$(stat -c %i "$victim") driver=hybrid dir=$victim end=1 >'$shared/locks/j/slot-0'"

for cmd in "check k" "check j" "list" "kill-all"; do
    run --state-dir "$shared" $cmd
    kill -0 "$root_sleep" 2>/dev/null || fail "root's '$cmd' killed root's process named in alice's record"
    [ -d "$victim" ] || fail "root's '$cmd' removed root's cgroup named in alice's record"
done
assert_match "$ERR" "not a private directory of yours|belongs to uid $alice" "warning of kill-all"
kill -0 "$alice_sleep" 2>/dev/null || fail "root's kill-all killed alice's process through her own record"

# A record of alice's inside root's own pool is not root's: never obeyed.
sv_bg holder --lock m -- "${HOLD[@]}" "$W/h"
wait_for_file "$W/h.in"
mine=$(record_file m)
sed -e "s/^kind=.*/kind=process/" -e "s/^pid=.*/pid=$root_sleep/" \
    -e "s/^start_time=.*/start_time=$root_start/" "$mine" >"$mine.new"
chown "$alice" "$mine.new"
mv "$mine.new" "$mine"
run check m
assert_status 1  # the populated lock-<hash>-s0 cgroup holds the slot
assert_match "$ERR" "rebuilt from the cgroup tree" "warning of check m"
run kill m
kill -0 "$root_sleep" 2>/dev/null || fail "root's 'kill m' obeyed a record alice wrote"
sv_wait holder
run check m
assert_status 0

kill "$root_sleep" "$alice_sleep" 2>/dev/null
wait "$root_sleep" "$alice_sleep" 2>/dev/null
rmdir "$victim"
