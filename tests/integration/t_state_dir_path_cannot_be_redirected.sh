#!/bin/bash
# The way to the state directory cannot be redirected by another user: `LINK/.` is the
# symlink LINK (refused, nothing made where it points), a symlink of another user's on the
# way is refused, and so is a directory on the way that another user owns or that others
# may write without the sticky bit -- one line, exit 125, nothing created. A sticky /tmp-like
# directory, a symlink of root's on the way (/var/run -> /run) and relative paths with
# "." and ".." work.
. "$TESTS_DIR/lock_lib.sh"

[ "$(id -u)" = 0 ] || skip "not root: no other user's files can be made here"
alice=$(awk -F: '$3 >= 1000 && $3 < 60000 { print $3; exit }' /etc/passwd)
alice=${alice:-65534}

refused() {  # STATE_DIR WHAT NEEDLE
    run --state-dir "$1" --lock r -- touch "$W/ran"
    assert_status 125
    assert_eq 1 "$(printf '%s\n' "$ERR" | grep -c .)" "lines of the refusal of $2"
    assert_contains "$ERR" "$3" "refusal of $2"
    [ ! -e "$W/ran" ] || fail "a command ran with a state directory that is $2"
    run --state-dir "$1" list
    assert_status 125
}

mkdir "$W/etc"
ln -s "$W/etc" "$W/link"
refused "$W/link/." "LINK/." "is a symlink"
[ -z "$(ls -A "$W/etc")" ] || fail "supervise created $(ls -A "$W/etc") through the symlink"

mkdir "$W/real"
ln -s "$W/real" "$W/alices-link"
chown -h "$alice" "$W/alices-link"
refused "$W/alices-link/state" "under a symlink of another user's" "is a symlink of uid $alice"
[ -z "$(ls -A "$W/real")" ] || fail "supervise created $(ls -A "$W/real") through alice's symlink"

mkdir -m 755 "$W/alices"
chown "$alice" "$W/alices"
refused "$W/alices/state" "under another user's directory" "$W/alices belongs to uid $alice"
[ ! -e "$W/alices/state" ] || fail "supervise created a state directory under alice's directory"

mkdir -m 777 "$W/open"
refused "$W/open/state" "under a world-writable directory" "$W/open is writable by others (mode 0777)"
[ ! -e "$W/open/state" ] || fail "supervise created a state directory under a world-writable directory"

# what works
mkdir -m 1777 "$W/sticky"
run --state-dir "$W/sticky/state" --lock r -- true;  assert_status 0
ln -s "$W/real" "$W/roots-link"
run --state-dir "$W/roots-link/state" --lock r -- true;  assert_status 0
[ -d "$W/real/state/locks" ] || fail "no state under the target of root's symlink"
cd "$W/real" || fail "cd"
run --state-dir "./x/../rel" --lock r -- true;  assert_status 0
[ -d "$W/real/rel/locks" ] || fail "a relative state directory was not made where it names"
[ ! -e "$W/real/x" ] || fail "'x/..' made x"
