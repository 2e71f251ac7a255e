#!/bin/bash
# --timeout 0 means no timeout, also over a SUPERVISE_TIMEOUT default.
. "$TESTS_DIR/lib.sh"

run --timeout 0 -- sh -c 'sleep 1.5; exit 7'
assert_status 7
SUPERVISE_TIMEOUT=1 run --timeout 0 -- sh -c 'sleep 1.5; exit 7'
assert_status 7
SUPERVISE_TIMEOUT=0 run -- sh -c 'sleep 1.5; exit 7'
assert_status 7
no_leftovers
