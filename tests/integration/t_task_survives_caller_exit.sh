#!/bin/bash
# A task started from a terminal that is hung up at once (and whose shell exits) still
# runs to the end: its runner is in a session of its own.
#@ conformance
. "$TESTS_DIR/task_lib.sh"

# (the command waits for $W/done.go, not for a time: a slow machine must not end it before the
# checks below have looked at its runner)
cat >"$W/caller.sh" <<CALLER
"$S" task start s -- sh -c 'while [ ! -e "\$0.go" ]; do sleep 0.05; done; echo done >"\$0"' "$W/done"
kill -HUP \$\$
CALLER
script -qec "bash $W/caller.sh" /dev/null </dev/null >"$W/script.out" 2>&1
runner_of s; runner=$RUNNER
assert_eq running "$(task_state s)" "state after the caller exited"
ours_alive "$runner" || fail "the runner died with its caller"
[ "$(ps -o sid= -p "$runner" | tr -d ' ')" != "$(ps -o sid= -p $$ | tr -d ' ')" ] || fail "the runner is in the test's session"
: >"$W/done.go"
run task wait s -q;  assert_status 0
assert_eq done "$(cat "$W/done" 2>/dev/null)" "what the command wrote"
