#!/bin/bash
# Hybrid driver: the held child moves itself into its v1 cgroups (a write of 0 into each
# 'tasks' file) before exec. The command must be in the run's memory and pids cgroups
# from its first instruction, beside the unified one.
. "$TESTS_DIR/lib.sh"

[ -d /sys/fs/cgroup/memory ] && grep -q " cgroup2 " /proc/self/mounts ||
    skip "not a hybrid host (no v1 memory controller beside cgroup2)"
[ -d /sys/fs/cgroup/pids ] || skip "no v1 pids controller"
run --driver hybrid --memory 100M --tasks 50 -- cat /proc/self/cgroup
assert_status 0
name=$(printf '%s\n' "$OUT" | sed -n 's|^0::.*/supervise/||p')
[ -n "$name" ] || fail "the command is not in a unified run cgroup: $OUT"
for controller in memory pids; do
    printf '%s\n' "$OUT" | grep -qE "^[0-9]+:$controller:.*/supervise/$name\$" ||
        fail "the command is not in the run's v1 $controller cgroup: $OUT"
done
no_leftovers
