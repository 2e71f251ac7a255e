#!/bin/bash
# --tasks N lands in pids.max of the run's cgroup.
. "$TESTS_DIR/lib.sh"

run --tasks 37 -- "${LIMITS_CMD[@]}"
skip_if_unenforceable --tasks
assert_status 0
# The systemd driver keeps one helper process (the keeper, which holds the scope until
# supervise has read its accounting) in the scope: TasksMax is N+1 so the command gets N.
want=37
[[ $(limit unified_dir) == *.scope ]] && want=38
assert_eq "$want" "$(limit tasks_max)" "pids.max seen from inside the command"
assert_eq max "$(limit memory_max)" "memory limit without --memory"
no_leftovers
