#!/bin/bash
# --log FILE copies the command's stdout and stderr into FILE; both still reach ours.
. "$TESTS_DIR/lib.sh"

run --log "$W/log" -- sh -c 'echo out1; echo err1 >&2; echo out2; exit 4'
assert_status 4
assert_eq "out1
out2" "$OUT" "stdout"
assert_contains "$ERR" err1 "stderr"
assert_not_contains "$ERR" out1 "stderr"
log=$(cat "$W/log" 2>/dev/null) || fail "--log did not create $W/log"
for l in out1 err1 out2; do assert_contains "$log" "$l" "log file"; done
# SUPERVISE_LOG is the default
SUPERVISE_LOG="$W/log2" run -- sh -c 'echo via-env'
assert_status 0
assert_contains "$(cat "$W/log2" 2>/dev/null)" via-env "log file from SUPERVISE_LOG"
no_leftovers
