#!/bin/bash
# Lock names that are empty, longer than 255 bytes or not UTF-8, and state directories
# others could tamper with (a symlink, group/world-writable without the sticky bit, another
# user's) are refused with 125 before anything runs or waits.
. "$TESTS_DIR/lock_lib.sh"

long=$(printf 'x%.0s' $(seq 256))
for name in "" "$long" $'\xff\xfe' $'caf\xc3' $'\xc0\xaf' $'\xed\xa0\x80'; do
    what="lock name '$(printf '%q' "$name")'"
    run --lock "$name" -- touch "$W/ran";  assert_status 125
    assert_match "$ERR" "^supervise: .*lock name" "message for $what"
    for sub in lock unlock check kill; do
        run "$sub" "$name";  assert_status 125
    done
    run list "$name";  assert_status 125
done
[ ! -e "$W/ran" ] || fail "a command ran under a bad lock name"
run --lock "${long%x}" -- true;  assert_status 0      # 255 bytes is fine
run --lock 'ünïcødé ✓ 锁' -- true;  assert_status 0

bad_state() {  # DIR WHAT
    run --state-dir "$1" --lock s -- touch "$W/ran";  assert_status 125
    assert_contains "$ERR" "$1" "message for a state dir that is $2"
    SUPERVISE_STATE_DIR=$1 run check s;  assert_status 125
    run lock s --state-dir "$1" --owner $$;  assert_status 125
    run list --state-dir "$1";  assert_status 125
    [ ! -e "$W/ran" ] || fail "a command ran with a state dir that is $2"
}
mkdir -m 0700 "$W/real"
ln -s "$W/real" "$W/link";                   bad_state "$W/link" "a symlink"
mkdir "$W/g";  chmod 0770 "$W/g";            bad_state "$W/g" "group-writable"
mkdir "$W/o";  chmod 0707 "$W/o";            bad_state "$W/o" "world-writable"
mkdir "$W/sticky"; chmod 1777 "$W/sticky"
run --state-dir "$W/sticky" --lock s -- true;  assert_status 0   # like /tmp: accepted
if [ "$(id -u)" = 0 ]; then
    other=$(awk -F: '$3 >= 1000 && $3 < 60000 { print $3; exit }' /etc/passwd)
    other=${other:-65534}
    mkdir -m 0700 "$W/theirs"; chown "$other" "$W/theirs"
    bad_state "$W/theirs" "owned by uid $other"
else
    note "not root: cannot give a directory to another user; that case is not tested"
fi
