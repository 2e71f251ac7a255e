#!/bin/bash
# An empty value on the command line is a usage error naming the option (never "no
# limit"); an empty SUPERVISE_* variable is unset; an error in a variable's value names
# the variable, not the option.
. "$TESTS_DIR/lib.sh"

for args in "--memory|" "--timeout|" "--state-dir|" "--log|" "--chdir|" "--lock|k|--wait|"; do
    IFS='|' read -r -a a <<<"$args"
    [ "${args: -1}" = "|" ] && a+=("")
    option=${a[-2]}
    run "${a[@]}" -- touch "$W/ran"
    assert_status 125
    assert_contains "$ERR" "$option: empty value" "message for an empty $option"
    assert_eq 1 "$(printf '%s\n' "$ERR" | grep -c .)" "lines for an empty $option"
    [ ! -e "$W/ran" ] || fail "the command ran with an empty $option"
done
run task start t --ttl '' -- touch "$W/ran"
assert_status 125
assert_contains "$ERR" "--ttl: empty value" "message for an empty --ttl"

SUPERVISE_MEMORY= SUPERVISE_TIMEOUT= run --json -- true
assert_status 0
assert_eq null "$(json memory_limit_bytes)" "memory limit with an empty SUPERVISE_MEMORY"

SUPERVISE_MEMORY=abc run -- touch "$W/ran"
assert_status 125
assert_contains "$ERR" "SUPERVISE_MEMORY: invalid size 'abc'" "message for SUPERVISE_MEMORY=abc"
SUPERVISE_MEMORY=abc run --memory abc -- true
assert_contains "$ERR" "--memory: invalid size 'abc'" "message for --memory abc (the command line wins)"
SUPERVISE_KILL_AFTER=later run -- true
assert_contains "$ERR" "SUPERVISE_KILL_AFTER: invalid duration 'later'" "message for SUPERVISE_KILL_AFTER"
SUPERVISE_MEMORY=64M SUPERVISE_MEMORY_WARN=most run -- true
assert_contains "$ERR" "SUPERVISE_MEMORY_WARN: invalid percentage 'most'" "message for SUPERVISE_MEMORY_WARN"
SUPERVISE_CGROUP_ROOT=$W run -- touch "$W/ran"
assert_status 125
assert_contains "$ERR" "SUPERVISE_CGROUP_ROOT: $W is not in a cgroup2 hierarchy" "message for SUPERVISE_CGROUP_ROOT"
ln -s "$W/elsewhere" "$W/log-link"
SUPERVISE_LOG=$W/log-link run -- touch "$W/ran"
assert_status 125
assert_contains "$ERR" "SUPERVISE_LOG: $W/log-link is a symlink" "message for SUPERVISE_LOG"
[ ! -e "$W/ran" ] || fail "a command ran with a bad value"
no_leftovers
