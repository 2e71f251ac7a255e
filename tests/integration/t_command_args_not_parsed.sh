#!/bin/bash
# Options after COMMAND belong to COMMAND; `--` is only needed when COMMAND starts with '-'.
. "$TESTS_DIR/lib.sh"

run sh -c 'printf "%s," "$@"' arg0 -v --memory 5 --json -- -q
assert_status 0
assert_eq "-v,--memory,5,--json,--,-q," "$OUT" "arguments the command received"
run -- sh -c 'echo "$0"' -x
assert_status 0
assert_eq "-x" "$OUT" "arguments after --"
no_leftovers
