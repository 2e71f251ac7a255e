#!/bin/bash
# A command killed by signal N makes supervise exit 128+N (and report the signal in JSON).
#@ conformance
. "$TESTS_DIR/lib.sh"

for sig in TERM:15 KILL:9 INT:2 SEGV:11; do
    name=${sig%:*} num=${sig#*:}
    run --json sh -c "kill -$name \$\$"
    assert_status $((128 + num))
    assert_eq "$name" "$(json signal)" "JSON signal of a command killed by SIG$name"
    assert_eq null "$(json exit_code)" "JSON exit_code of a command killed by SIG$name"
done
no_leftovers
