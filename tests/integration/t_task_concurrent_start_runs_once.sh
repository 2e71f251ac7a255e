#!/bin/bash
# Five shells start the same task at once: the command runs once, one of them says it
# started it, and every start succeeds.
. "$TESTS_DIR/task_lib.sh"

for i in 1 2 3 4 5; do
    sv_bg "s$i" task start once -- sh -c 'echo ran >>"$0"; sleep 0.5' "$W/ran"
done
for i in 1 2 3 4 5; do
    sv_wait "s$i"
    assert_eq 0 "$RC" "exit status of start $i ($(bg_err "s$i"))"
done
runner_of once
run task wait once -q;  assert_status 0
assert_eq 1 "$(wc -l <"$W/ran")" "times the command ran"
assert_eq 1 "$(cat "$W"/s?.err | grep -c 'started task once')" "starts that say they started it"
