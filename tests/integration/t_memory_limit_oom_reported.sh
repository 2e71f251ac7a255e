#!/bin/bash
# --memory 50M and a command allocating 200M: the kernel OOM-kills it, supervise exits 137,
# prints one line naming the limit and the peak, and the JSON says oom_killed.
#@ conformance
. "$TESTS_DIR/lib.sh"

run --memory 50M --json -- perl -e '$x = q(x) x (200*1024*1024); print qq(allocated\n)'
skip_if_unenforceable --memory
assert_status 137
grep -qx allocated "$W/out" && fail "the command printed 'allocated': it was not stopped at its limit"
line=$(grep '^supervise: ' "$W/err")
assert_eq 1 "$(grep -c '^supervise: ' "$W/err")" "supervise lines on stderr"
assert_match "$line" '^supervise: killed: memory limit 50M exceeded \(peak [0-9.]+[KMG]?, [0-9]+ process(es)? OOM-killed\)$' "OOM line"
json_part=$(grep -v '^allocated' "$W/out")
echo "$json_part" >"$W/result.json"
assert_eq true "$(json oom_killed "$W/result.json")" "oom_killed"
assert_eq KILL "$(json signal "$W/result.json")" "signal"
assert_eq null "$(json exit_code "$W/result.json")" "exit_code"
peak=$(json memory_peak_bytes "$W/result.json")
assert_cmp "$peak" '>=' $((40 * MiB)) "memory_peak_bytes ($peak) near the 50M limit"
assert_cmp "$peak" '<=' $((53 * MiB)) "memory_peak_bytes ($peak) near the 50M limit"
expect_driver "$(json driver "$W/result.json")"
no_leftovers
