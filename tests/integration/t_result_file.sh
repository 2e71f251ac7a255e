#!/bin/bash
# --result FILE writes the JSON result into FILE; stdout keeps only the command's output.
. "$TESTS_DIR/lib.sh"

run --result "$W/result.json" -- sh -c 'echo out; exit 5'
assert_status 5
assert_eq out "$OUT" "stdout"
assert_eq 5 "$(json exit_code "$W/result.json")" "exit_code in the result file"
assert_eq false "$(json timed_out "$W/result.json")" "timed_out in the result file"
expect_driver "$(json driver "$W/result.json")"

# a signalled command, and --json with --result: both have the same result
run --json --result "$W/r2.json" -- sh -c 'kill -TERM $$'
assert_status 143
assert_eq TERM "$(json signal "$W/r2.json")" "signal in the result file"
assert_eq "$(json cgroup "$W/r2.json")" "$(json cgroup)" "cgroup in --json and --result"
no_leftovers
