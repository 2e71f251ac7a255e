#!/bin/bash
# --dry-run prints the driver, the cgroup path and the limits, and creates and runs nothing.
. "$TESTS_DIR/lib.sh"

before=$(cgroup_dirs)
run --dry-run --memory 100M --tasks 20 -- touch "$W/ran"
assert_status 0
[ ! -e "$W/ran" ] || fail "--dry-run ran the command"
# (other processes may create cgroups meanwhile: only this supervise's names count)
assert_eq "" "$(comm -13 <(echo "$before") <(cgroup_dirs) | grep -E "(^|/)(supervise-)?run-$SPID-")" \
    "cgroups created by --dry-run"
all="$OUT$ERR"
assert_match "$all" '(hybrid|cgroup2|systemd)' "driver in the --dry-run output"
[ -n "${SUPERVISE_EXPECT_DRIVER:-}" ] && assert_contains "$all" "$SUPERVISE_EXPECT_DRIVER" "driver in the --dry-run output"
assert_match "$all" '(run-[0-9]+-[0-9a-f]+|supervise-run-)' "cgroup path in the --dry-run output"
assert_match "$all" '(100M|104857600)' "memory limit in the --dry-run output"
assert_contains "$all" 20 "task limit in the --dry-run output"
no_leftovers
