#!/bin/bash
# wait says "waiting for task ID (pid N, running Ns)" after 2 s (not before, not with -q,
# -m replaces it), and --timeout gives up with 124 and leaves the task running.
. "$TESTS_DIR/task_lib.sh"

run task start m -- "${HOLD[@]}" "$W/m";  assert_status 0
runner_of m; runner=$RUNNER
wait_for_file "$W/m.in"
sv_bg plain task wait m
sv_bg quiet task wait m -q
sv_bg custom task wait m -m 'hold on'
sleep 1
assert_eq "" "$(bg_err plain)" "stderr of wait after 1 s"
until_true 5 eval '[ -n "$(bg_err plain)" ] && [ -n "$(bg_err custom)" ]' || fail "no wait message after 6 s"
assert_match "$(bg_err plain)" "^supervise: waiting for task m \(pid $runner, running [0-9.]+s\)$" "wait message"
assert_eq "supervise: hold on" "$(bg_err custom)" "wait -m message"
assert_eq "" "$(bg_err quiet)" "stderr of wait -q"

run task wait m -q --timeout 0.5s;  assert_status 124
assert_eq running "$(task_state m)" "state after a wait timed out"
release m
for w in plain quiet custom; do sv_wait "$w" 10; assert_eq 0 "$RC" "exit status of wait ($w)"; done
