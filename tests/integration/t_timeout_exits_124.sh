#!/bin/bash
# --timeout: SIGTERM to the whole tree (a child trapping it hears it), then after
# --kill-after the rest is SIGKILLed (a child that ignores SIGTERM dies too); exit 124.
#@ conformance
. "$TESTS_DIR/lib.sh"

cat >"$W/tree.sh" <<'SH'
w=$1
bash -c 'trap "echo term >\"$1/child-term\"; exit 0" TERM; echo up >"$1/child-up"; while :; do sleep 0.1; done' _ "$w" &
bash -c 'trap "echo ignored >>\"$1/stubborn-term\"" TERM; echo $$ >"$1/stubborn.pid"; while :; do sleep 0.1; done' _ "$w" &
trap 'echo ignored >>"$w/main-term"' TERM
while :; do sleep 0.1; done
SH
run --json --timeout 1 --kill-after 1 -- bash "$W/tree.sh" "$W"
assert_status 124
[ -s "$W/child-up" ] || fail "the trapping child never started"
[ -s "$W/child-term" ] || fail "SIGTERM did not reach the child that traps it"
[ -s "$W/stubborn-term" ] || fail "SIGTERM did not reach the child that ignores it"
[ -s "$W/main-term" ] || fail "SIGTERM did not reach the main process"
assert_cmp "$ELAPSED" '>=' 1.9 "run time (s) with --timeout 1 --kill-after 1: the grace period was skipped"
assert_cmp "$ELAPSED" '<' 8 "run time (s) with --timeout 1 --kill-after 1"
assert_eq true "$(json timed_out)" "JSON timed_out"
assert_eq KILL "$(json signal)" "JSON signal (main process ignored SIGTERM)"
pid=$(cat "$W/stubborn.pid")
! grep -qaF "TEST_TOKEN=$TEST_TOKEN" "/proc/$pid/environ" 2>/dev/null || fail "the SIGTERM-ignoring child survived"

# a command that obeys SIGTERM ends at the timeout, without waiting for --kill-after
run --timeout 1 --kill-after 30 -- sleep 30
assert_status 124
assert_cmp "$ELAPSED" '<' 6 "run time (s) of sleep 30 with --timeout 1"
no_leftovers
