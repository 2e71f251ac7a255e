#!/bin/bash
# Looking at tasks (list, status, wait, gc) before any was started makes no directory:
# only a start does.
. "$TESTS_DIR/lib.sh"

state=$W/state
for look in "task list" "task status x" "task wait x" "task gc" "task list --json"; do
    run --state-dir "$state" $look
    [ "$RC" = 0 ] || [ "$RC" = 1 ] || fail "'$look' exited $RC: $ERR"
    [ ! -e "$state" ] || fail "'$look' created $(find "$state")"
done
run --state-dir "$state" task run x -- true
assert_status 0
[ -d "$state/tasks" ] || fail "a start made no tasks directory"
