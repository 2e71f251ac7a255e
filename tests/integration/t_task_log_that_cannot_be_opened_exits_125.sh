#!/bin/bash
# A task whose log cannot be opened (a directory or a FIFO in its place) is not started:
# one line naming the log, exit 125, the command never runs and never writes into the
# caller's output.
. "$TESTS_DIR/task_lib.sh"

run task run ok -- true;  assert_status 0   # makes the tasks directory
for kind in directory fifo; do
    mkdir -p "$TASKS/l-$kind"
    chmod 700 "$TASKS/l-$kind"
    case $kind in
    directory) mkdir "$TASKS/l-$kind/log" ;;
    fifo)      mkfifo "$TASKS/l-$kind/log" ;;
    esac
    run task run "l-$kind" -- sh -c "echo leaked; touch '$W/ran-$kind'"
    assert_status 125
    assert_eq 1 "$(printf '%s\n' "$ERR" | grep -c .)" "lines of the error ($kind)"
    assert_contains "$ERR" "$TASKS/l-$kind/log" "the error names the log ($kind)"
    assert_eq "" "$OUT" "stdout ($kind)"
    sleep 0.3
    [ ! -e "$W/ran-$kind" ] || fail "the command ran without its log ($kind)"
done
assert_no_task_leftovers
