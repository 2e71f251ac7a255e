#!/bin/bash
# Whatever way a run ends, its cgroup is removed, and the supervise parent too when it was
# created for the run and is empty.
#@ conformance
. "$TESTS_DIR/lib.sh"

run -- true;                                   assert_status 0
run -- sh -c 'exit 3';                         assert_status 3
run -- sh -c 'kill -KILL $$';                  assert_status 137
run -- "no-such-command-$TEST_TOKEN";          assert_status 127
run --timeout 1 --kill-after 1 -- sleep 30;    assert_status 124
run --memory 20M -- perl -e '$x = q(x) x (100*1024*1024)'
skip_if_unenforceable --memory
assert_status 137
run --tasks 20 --memory 50M --cpu 50 -- sh -c 'sleep 300 & exit 0'
[ "$RC" = 0 ] || [ "$RC" = 125 ] || fail "run with all limits: exit $RC$(_last_run)"
no_leftovers
