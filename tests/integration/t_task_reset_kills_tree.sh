#!/bin/bash
# reset of a running task kills its whole tree (setsid'd grandchildren too) and its
# runner, then forgets it.
. "$TESTS_DIR/task_lib.sh"

run task start r -- sh -c '
    for i in 1 2 3; do setsid sh -c "echo \$\$ >>\"\$0\"; exec sleep 300" "$0.kids" & done
    echo $$ >"$0.in"; wait' "$W/r"
assert_status 0
runner_of r; runner=$RUNNER
until_true 10 eval '[ -s "$W/r.in" ] && [ "$(wc -l <"$W/r.kids" 2>/dev/null)" = 3 ]' || fail "the tree did not start"
pids="$runner $(cat "$W/r.in") $(cat "$W/r.kids")"
for p in $pids; do ours_alive "$p" || fail "process $p is not running before the reset"; done
for p in $(cat "$W/r.kids"); do
    [ "$(ps -o sid= -p "$p" | tr -d ' ')" = "$p" ] || fail "grandchild $p is not in a session of its own"
done

run task reset r;  assert_status 0
for p in $pids; do ! ours_alive "$p" || fail "process $p survived the reset: $(tr '\0' ' ' <"/proc/$p/cmdline")"; done
run task status r;  assert_status 1
[ ! -e "$TASKS/r" ] || fail "reset left $TASKS/r"
