#!/bin/bash
# --tasks N lands in pids.max of the run's cgroup.
#@ conformance
. "$TESTS_DIR/lib.sh"

run --tasks 37 -- "${LIMITS_CMD[@]}"
skip_if_unenforceable --tasks
assert_status 0
assert_eq "$(tasks_max_for 37)" "$(limit tasks_max)" "pids.max seen from inside the command"
assert_eq max "$(limit memory_max)" "memory limit without --memory"
no_leftovers
