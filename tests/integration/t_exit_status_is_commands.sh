#!/bin/bash
# supervise exits with the command's own exit status.
#@ conformance
. "$TESTS_DIR/lib.sh"

for code in 0 1 3 42 123; do
    run sh -c "exit $code"
    assert_status "$code"
done
run true
assert_status 0
run false
assert_status 1
no_leftovers
