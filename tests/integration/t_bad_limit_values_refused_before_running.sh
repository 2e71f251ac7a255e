#!/bin/bash
# Limit values that cannot be honoured are refused with one line and 125 before anything
# runs, --dry-run included: --tasks above the kernel's most, --memory plus --swap that
# would wrap around 2^64, and a SUPERVISE_MEMORY_WARN that is no percentage (even where,
# without --memory, it would not apply).
. "$TESTS_DIR/lib.sh"

refused() {  # WHAT NEEDLE ARGS...
    local what=$1 needle=$2
    shift 2
    for dry in "" --dry-run; do
        run $dry "$@" -- touch "$W/ran"
        assert_status 125
        assert_eq 1 "$(printf '%s\n' "$ERR" | grep -c .)" "lines of the refusal of $what $dry"
        assert_contains "$ERR" "$needle" "refusal of $what $dry"
        [ ! -e "$W/ran" ] || fail "the command ran with $what"
    done
}
refused "--tasks 2^32" "--tasks 4294967296 is above the most" --tasks 4294967296
refused "--memory 1G --swap 2^64-1G" "--memory plus --swap is too large" --memory 1G --swap 17179869183G
export SUPERVISE_MEMORY_WARN=abc
refused "SUPERVISE_MEMORY_WARN=abc" "SUPERVISE_MEMORY_WARN: invalid percentage 'abc'"
export SUPERVISE_MEMORY_WARN=80%
run -- true   # a good value without --memory: nothing to warn about, no error
assert_status 0
no_leftovers
