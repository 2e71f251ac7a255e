#!/bin/bash
# A failed result is cached like a success (run exits with it, start does not run again),
# unless --rerun-failed; --rerun-failed never reruns a success.
. "$TESTS_DIR/task_lib.sh"

FAIL=(sh -c 'echo ran >>"$0"; exit 4' "$W/fail.runs")
OK=(sh -c 'echo ran >>"$0"' "$W/ok.runs")
run task run f -- "${FAIL[@]}";  assert_status 4
runner_of f
run task status f;  assert_status 0
assert_contains "$OUT" "f: failed(4)" "status"
run task run f -- "${FAIL[@]}";  assert_status 4
assert_contains "$ERR" "not run again" "run of a cached failure"
run task start f -- "${FAIL[@]}";  assert_status 0
assert_eq 1 "$(wc -l <"$W/fail.runs")" "runs of the failing command before --rerun-failed"
run task run f --rerun-failed -- "${FAIL[@]}";  assert_status 4
runner_of f
assert_eq 2 "$(wc -l <"$W/fail.runs")" "runs of the failing command after --rerun-failed"

run task run s -- "${OK[@]}";  assert_status 0
runner_of s
run task run s --rerun-failed -- "${OK[@]}";  assert_status 0
assert_eq 1 "$(wc -l <"$W/ok.runs")" "runs of the succeeding command"
