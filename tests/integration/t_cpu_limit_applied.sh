#!/bin/bash
# --cpu PCT sets the CPU quota of the run's cgroup (cpu.max / cpu.cfs_quota_us): 50% and 150%.
#@ conformance
. "$TESTS_DIR/lib.sh"

for pct in 50 150; do
    run --cpu "$pct" -- "${LIMITS_CMD[@]}"
    skip_if_unenforceable --cpu
    assert_status 0
    ratio=$(limit cpu_ratio)
    assert_match "$ratio" '^[0-9.]+$' "cpu quota/period with --cpu $pct"
    want=$(awk -v p="$pct" 'BEGIN{print p / 100}')
    assert_cmp "$ratio" '>=' "$want - 0.01" "cpu quota/period ($ratio) with --cpu $pct"
    assert_cmp "$ratio" '<=' "$want + 0.01" "cpu quota/period ($ratio) with --cpu $pct"
done
no_leftovers
