#!/bin/bash
# -v prints debug lines naming the driver and the run's cgroup; -q keeps stderr free of
# anything but errors (the command's own stderr still passes).
. "$TESTS_DIR/lib.sh"

run -v --json -- true
assert_status 0
cg=$(json cgroup)
assert_contains "$ERR" "$(json driver)" "-v output"
assert_contains "$ERR" "${cg##*/}" "-v output"
run -q --memory 100M --memory-warn 1 -- sh -c 'echo to-stderr >&2; sleep 1'
skip_if_unenforceable --memory
assert_status 0
assert_eq "to-stderr" "$ERR" "stderr with -q"
no_leftovers
