#!/bin/bash
# The command runs in a fresh cgroup of its own, named after the supervise pid, shown in
# /proc/self/cgroup and in the JSON result, and removed after the run.
#@ conformance
. "$TESTS_DIR/lib.sh"

run --json -- cat /proc/self/cgroup
assert_status 0
self=$(grep '^0::' "$W/out" | cut -d: -f3)
[ -n "$self" ] || fail "no unified cgroup line in the command's /proc/self/cgroup$(_last_run)"
assert_not_contains "$(grep '^0::' /proc/self/cgroup)" "$self" "the command's cgroup is the test's"
grep '^{' -A1000 "$W/out" >"$W/result.json"
cg=$(json cgroup "$W/result.json")
driver=$(json driver "$W/result.json")
expect_driver "$driver"
case "$driver" in
systemd) assert_match "${self##*/}" "^supervise-run-$SPID-[0-9a-f]+\.scope$" "scope name" ;;
*) assert_match "${self##*/}" "^run-$SPID-[0-9a-f]+$" "cgroup name"
   assert_match "$self" "/supervise/run-" "cgroup parent" ;;
esac
assert_match "$cg" "^/sys/fs/cgroup/.*${self##*/}$" "JSON cgroup vs /proc/self/cgroup"
if [ "$driver" = hybrid ]; then
    mem=$(grep -E '^[0-9]+:([^:]*,)?memory(,[^:]*)?:' "$W/out" | cut -d: -f3)
    assert_match "$mem" "/supervise/${self##*/}$" "v1 memory cgroup of the command"
fi
[ ! -e "$cg" ] || fail "the run's cgroup $cg still exists after the run"
no_leftovers
