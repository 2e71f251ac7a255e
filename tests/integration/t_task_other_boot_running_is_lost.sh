#!/bin/bash
# A running record written in another boot is lost, even when its cgroup and runner name
# live things of this boot; the next start runs the task again.
. "$TESTS_DIR/task_lib.sh"

other_boot=00000000-0000-4000-8000-000000000000
[ "$(cat /proc/sys/kernel/random/boot_id)" != "$other_boot" ] || skip "this boot has the test's 'other' boot id"

run task start real -- "${HOLD[@]}" "$W/real";  assert_status 0
runner_of real
wait_for_file "$W/real.in"
until_true 5 grep -q '^cgroup=' "$(record_of real)" || fail "the record never named its cgroup"
# copies of the live record under other ids: one as it is (control), one of another boot
for id in same other; do
    mkdir -m 700 "$TASKS/$id"
    sed "s/^id=.*/id=$id/" "$(record_of real)" >"$TASKS/$id/record"
done
assert_eq running "$(task_state same)" "state of the copy from this boot"
edit_record "$(record_of other)" boot_id "$other_boot"
run task status other;  assert_status 0
assert_contains "$OUT" "other: lost" "status of the copy from another boot"
run task wait other -q;  assert_status 125
run task run other -- sh -c 'echo ran >"$0"' "$W/other.ran";  assert_status 0
runner_of other
assert_eq ran "$(cat "$W/other.ran" 2>/dev/null)" "the task started again"
ours_alive "$(cat "$W/real.in")" || fail "the real task's command was harmed"
rm -rf "${TASKS:?}/same"   # by hand: a reset would kill the real task's cgroup
release real
run task wait real -q;  assert_status 0
