#!/bin/bash
# A --cgroup-root that another user owns is refused: its owner could freeze, kill or
# re-limit every run placed under it. One line, exit 125, nothing runs; a root-owned (or
# our own) cgroup root is accepted.
. "$TESTS_DIR/lock_lib.sh"

[ -n "$LOCK_CG_ROOT" ] || skip "the runs of this world go to systemd scopes (no --cgroup-root)"
[ "$(id -u)" = 0 ] || skip "not root: a cgroup cannot be given to another user here"
other=$(awk -F: '$3 >= 1000 && $3 < 60000 { print $3; exit }' /etc/passwd)
other=${other:-65534}
foreign=$LOCK_CG_ROOT/foreign
mkdir "$foreign" || fail "cannot create $foreign"
chown "$other" "$foreign"

run --cgroup-root "$foreign" -- touch "$W/ran"
assert_status 125
assert_contains "$ERR" "--cgroup-root: $foreign belongs to uid $other" "message"
assert_eq 1 "$(printf '%s\n' "$ERR" | grep -c .)" "lines of the refusal"
[ ! -e "$W/ran" ] || fail "the command ran in another user's cgroup"
[ ! -e "$foreign/supervise" ] || fail "supervise created a cgroup in another user's cgroup"
rmdir "$foreign"

run -- true  # SUPERVISE_CGROUP_ROOT: our own, root's
assert_status 0
assert_no_lock_leftovers
no_leftovers
