#!/bin/bash
# --memory auto sets the limit (and, in a lock with a budget, the reservation) from the
# job's history: --memory-default for a job it knows nothing of; the largest recent peak
# times 1.25 (rounded up to a MiB) once runs of it have succeeded; twice the last limit
# after an OOM kill; never more than the lock's --capacity.
. "$TESTS_DIR/lock_lib.sh"

limit_of() { json memory_limit_bytes "$W/out"; }
run --job fresh --memory auto --memory-default 64M --json -- true
skip_if_unenforceable memory
assert_status 0
assert_eq $((64 << 20)) "$(limit_of)" "limit of a job with no history"

for mb in 100 150; do
    run --job grow --memory 1G -- perl -e "\$x = 'x' x ($mb << 20); select(undef, undef, undef, 0.2)"
    assert_status 0
done
run history --json --job grow
peak=$("$PY" -c 'import json,sys; print(max(r["memory_peak_bytes"] for r in json.load(open(sys.argv[1]))["runs"]))' "$W/out")
assert_cmp "$peak" '>=' $((150 << 20)) "the largest peak of job grow"
run --job grow --memory auto --json -- true
assert_status 0
want=$("$PY" -c "import math; print(math.ceil(math.ceil($peak * 1.25) / 2**20) * 2**20)")
assert_eq "$want" "$(limit_of)" "limit learned from peaks (largest $peak)"

run --job oom --memory 50M -q -- perl -e '$x = "x" x (200 << 20)'
assert_status 137
run --job oom --memory auto --json -- true
assert_eq $((100 << 20)) "$(limit_of)" "limit after an OOM kill at 50M"

run --lock learned --capacity 128M --job grow --memory auto --json -- true
assert_status 0
assert_eq $((128 << 20)) "$(json memory_reserved_bytes "$W/out")" "reservation capped at the capacity"
assert_eq history "$(json memory_reservation_source "$W/out")" "source of the reservation"
