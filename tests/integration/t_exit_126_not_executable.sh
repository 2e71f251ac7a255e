#!/bin/bash
# A command that exists but cannot be executed: exit 126 and one "supervise: ..." line.
#@ conformance
. "$TESTS_DIR/lib.sh"

printf '#!/bin/sh\necho ran >%s/ran\n' "$W" >"$W/script"
chmod 644 "$W/script"
run "$W/script"
assert_status 126
assert_eq 1 "$(grep -c . "$W/err")" "number of stderr lines"
assert_match "$ERR" "^supervise: .*$W/script" "error line"
[ ! -e "$W/ran" ] || fail "the non-executable script ran"

mkdir "$W/dir"
run "$W/dir"
assert_status 126
no_leftovers
