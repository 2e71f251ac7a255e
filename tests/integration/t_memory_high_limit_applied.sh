#!/bin/bash
# --memory and --memory-high land in the kernel's files of the run's cgroup (v2 memory.max/
# memory.high; v1 memory.limit_in_bytes/memory.soft_limit_in_bytes).
#@ conformance
. "$TESTS_DIR/lib.sh"

run --memory 100M --memory-high 80M -- "${LIMITS_CMD[@]}"
skip_if_unenforceable --memory-high
assert_status 0
assert_eq $((100 * MiB)) "$(limit memory_max)" "memory limit seen from inside the command"
assert_eq $((80 * MiB)) "$(limit memory_high)" "memory-high limit seen from inside the command"
no_leftovers
