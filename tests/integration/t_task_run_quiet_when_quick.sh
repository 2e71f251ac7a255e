#!/bin/bash
# task run of a task that ends within 2 s prints nothing on stderr (nothing took time);
# -v shows the start; a longer task prints the wait message once; task start keeps its
# line (it returns at once and names the log).
. "$TESTS_DIR/task_lib.sh"

run task run quick -- true
assert_status 0
assert_eq "" "$ERR" "stderr of a quick task run"
runner_of quick
run task run quick -- true   # cached success: nothing to say either
assert_status 0
assert_eq "" "$ERR" "stderr of a cached task run"

run -v task run verbose -- true
assert_status 0
assert_contains "$ERR" "started task verbose" "stderr of task run -v"
runner_of verbose

run task run slow -- sleep 2.5
assert_status 0
assert_contains "$ERR" "waiting for task slow" "stderr of a task run that takes time"
assert_eq 1 "$(printf '%s\n' "$ERR" | grep -c .)" "lines of a task run that takes time"
runner_of slow

run task start started -- true
assert_status 0
assert_contains "$ERR" "started task started" "stderr of task start"
runner_of started
no_leftovers
