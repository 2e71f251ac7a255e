#!/bin/bash
# A foreground owner's record that its user cannot read (chmod 000) never frees the slot:
# `check` says held with one warning naming the file, a second `lock` is refused; once the
# record is readable again, `unlock` releases it as usual.
. "$TESTS_DIR/lock_lib.sh"

[ "$(id -u)" = 0 ] || skip "not root: cannot act as a user whom chmod 000 stops"
user=$(awk -F: '$3 >= 1000 && $3 < 60000 { print $3; exit }' /etc/passwd)
user=${user:-65534}
state=$W/user-state
mkdir -m 700 "$state"
chown "$user" "$state"
as_user() { setpriv --reuid="$user" --regid="$user" --clear-groups env SUPERVISE_STATE_DIR="$state" "$@"; }

setpriv --reuid="$user" --regid="$user" --clear-groups sleep 60 &
owner=$!
owner_runs() { [ "$(stat -c %u "/proc/$owner" 2>/dev/null)" = "$user" ]; }
until_true 5 owner_runs || fail "the owner process did not start"
as_user "$S" lock k --owner "$owner" || fail "could not take lock k"
record=$state/locks/k/slot-0
chmod 000 "$record"

as_user "$S" check k 2>"$W/check.err"
assert_eq 1 "$?" "exit status of check k with an unreadable record"
assert_match "$(cat "$W/check.err")" "owner record $record cannot be read" "warning of check"
as_user "$S" lock k --wait 0 --owner $$ 2>"$W/lock.err"
assert_eq 75 "$?" "exit status of a second lock k: $(cat "$W/lock.err")"

chmod 600 "$record"
as_user "$S" unlock k --owner "$owner" || fail "unlock failed once the record was readable"
as_user "$S" check k || fail "lock k still held after unlock"
kill "$owner"
wait "$owner" 2>/dev/null || true
