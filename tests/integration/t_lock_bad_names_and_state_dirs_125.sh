#!/bin/bash
# Lock names that are empty, longer than 255 bytes or not UTF-8, and state directories
# others could tamper with (a symlink, group/world-writable without the sticky bit, another
# user's) are refused with 125 before anything runs or waits.
. "$TESTS_DIR/lock_lib.sh"

long=$(printf 'x%.0s' $(seq 256))
bad_name() {  # NAME
    local what="lock name '$(printf '%q' "$1")'"
    run --lock "$1" -- touch "$W/ran";  assert_status 125
    assert_match "$ERR" "^supervise: .*(lock name|--lock: empty value)" "message for $what"
    [ ! -e "$W/ran" ] || fail "a command ran under the $what"
    for sub in lock unlock check kill; do
        run "$sub" "$1";  assert_status 125
    done
}
for name in "$long" $'\xff\xfe' $'caf\xc3' $'\xc0\xaf' $'\xed\xa0\x80'; do
    bad_name "$name"
    run list "$name";  assert_status 125
done
run --lock "${long%x}" -- true;  assert_status 0      # 255 bytes is fine
run --lock 'ünïcødé ✓ 锁' -- true;  assert_status 0

# each way of naming the state dir: --state-dir, SUPERVISE_STATE_DIR
bad_state() {  # DIR WHAT
    local dir=$1 what=$2 via
    local -a opt
    for via in option env; do
        if [ $via = option ]; then
            unset SUPERVISE_STATE_DIR
            opt=(--state-dir "$dir")
        else
            export SUPERVISE_STATE_DIR=$dir
            opt=()
        fi
        run "${opt[@]}" --lock s -- touch "$W/ran";  assert_status 125
        assert_contains "$ERR" "$dir" "message for a state dir that is $what ($via)"
        run check s "${opt[@]}";             assert_status 125
        run lock s "${opt[@]}" --owner $$;   assert_status 125
        run list "${opt[@]}";                assert_status 125
        run kill-all "${opt[@]}";            assert_status 125
        [ ! -e "$W/ran" ] || fail "a command ran with a state dir that is $what ($via)"
    done
    export SUPERVISE_STATE_DIR=$LOCK_STATE_DIR
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

# last, as it fails today: an empty name must not mean "no lock"
bad_name ""
