#!/bin/bash
# A --timeout below the millisecond resolution rounds up to it and never down to 0, which
# would mean "no timeout": --timeout 0.1ms ends a sleep at once with 124.
#@ conformance
. "$TESTS_DIR/lib.sh"

run --timeout 0.1ms --kill-after 0.1ms -- sleep 30
assert_status 124
assert_cmp "$ELAPSED" '<' 10 "seconds until the 0.1ms timeout ended the run"
no_leftovers
