#!/bin/bash
# `supervise doctor` names every driver, says which work here and why the others do not,
# and exits 0. The world's driver is reported usable.
. "$TESTS_DIR/lib.sh"

run doctor
assert_status 0
all="$OUT$ERR"
for d in systemd cgroup2 hybrid; do assert_contains "$all" "$d" "doctor output"; done
if [ -n "${SUPERVISE_EXPECT_DRIVER:-}" ]; then
    line=$(grep -E "^$SUPERVISE_EXPECT_DRIVER " <<<"$all" | head -1)
    assert_match "$line" '(yes|usable|ok|OK|works|available)' "doctor line for the world's driver"
    assert_not_contains "$line" "not " "doctor line for the world's driver"
fi
no_leftovers
