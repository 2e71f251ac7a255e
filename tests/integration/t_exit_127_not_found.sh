#!/bin/bash
# A command that does not exist: exit 127 and one "supervise: ..." line naming it.
#@ conformance
. "$TESTS_DIR/lib.sh"

run "no-such-command-$TEST_TOKEN" arg
assert_status 127
assert_eq 1 "$(grep -c . "$W/err")" "number of stderr lines"
assert_match "$ERR" "^supervise: .*no-such-command-$TEST_TOKEN" "error line"

run "$W/missing/path/cmd"
assert_status 127
assert_contains "$ERR" "$W/missing/path/cmd" "error line"
# a command starting with '-' after --
run -- "-no-such-command-$TEST_TOKEN"
assert_status 127
no_leftovers
