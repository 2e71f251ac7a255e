#!/bin/bash
# --lock @project in a working directory that was deleted names no project: one line and
# 125, never the lock "project:" that every such caller would share.
. "$TESTS_DIR/lock_lib.sh"

mkdir "$W/gone"
cd "$W/gone" || fail "cd"
rmdir "$W/gone"
run --lock @project -- touch "$W/ran"
assert_status 125
assert_contains "$ERR" "@project: cannot find the working directory" "message"
[ ! -e "$W/ran" ] || fail "the command ran under a lock of no project"
cd "$W" || fail "cd"
run list --json
assert_not_contains "$OUT" '"project:"' "pools"
