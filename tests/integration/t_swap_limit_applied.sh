#!/bin/bash
# --swap lands in memory.swap.max (v1: memory.memsw.limit_in_bytes = memory + swap).
#@ conformance
. "$TESTS_DIR/lib.sh"

run --memory 100M --swap 64M -- "${LIMITS_CMD[@]}"
skip_if_unenforceable --swap
assert_status 0
assert_eq $((100 * MiB)) "$(limit memory_max)" "memory limit"
assert_eq $((64 * MiB)) "$(limit swap_max)" "swap limit seen from inside the command"
no_leftovers
