#!/bin/bash
# SUPERVISE_* variables give every run option its default; the command line wins.
#@ conformance
. "$TESTS_DIR/lib.sh"

SUPERVISE_MEMORY=64M run -- "${LIMITS_CMD[@]}"
if [ "$RC" = 125 ] && [[ $ERR == *"cannot enforce --memory"* ]]; then
    note "this world cannot enforce --memory: the memory part is not checked"
else
    assert_status 0
    assert_eq $((64 * MiB)) "$(limit memory_max)" "memory limit from SUPERVISE_MEMORY"
    SUPERVISE_MEMORY=64M run --memory 80M -- "${LIMITS_CMD[@]}"
    assert_status 0
    assert_eq $((80 * MiB)) "$(limit memory_max)" "memory limit with SUPERVISE_MEMORY=64M --memory 80M"
fi

SUPERVISE_TIMEOUT=1 run -- sleep 10
assert_status 124
SUPERVISE_TIMEOUT=1 run --timeout 5 -- sh -c 'sleep 1.5; exit 6'
assert_status 6

SUPERVISE_TASKS=33 run -- "${LIMITS_CMD[@]}"
if ! { [ "$RC" = 125 ] && [[ $ERR == *"cannot enforce"* ]]; }; then
    assert_status 0
    assert_eq "$(tasks_max_for 33)" "$(limit tasks_max)" "pids.max from SUPERVISE_TASKS"
fi
world_driver=${SUPERVISE_DRIVER:-auto}
SUPERVISE_DRIVER=bogus run -- true
assert_status 125
SUPERVISE_DRIVER=bogus run --driver "$world_driver" -- true
assert_status 0
no_leftovers
