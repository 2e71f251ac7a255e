#!/bin/bash
# Control characters in lock names, task ids and commands never reach a terminal raw
# (they could clear it, retitle it or fake a line of ours): messages on stderr and the
# human output of list and task list show them as \xNN; JSON keeps the real text.
. "$TESTS_DIR/lock_lib.sh"

esc=$'\e'
name="evil${esc}[2J"
sv_bg holder --lock "$name" -- "${HOLD[@]}" "$W/h"
wait_for_file "$W/h.in"
run --lock "$name" --wait 0 -- true
assert_status 75
run list
assert_status 0
assert_contains "$OUT" 'evil\x1b[2J: 1 of 1 slot held' "list"
run --lock "$name" --wait 0 -- true
case "$OUT$ERR" in *"$esc"*) fail "an escape reached the terminal: $(printf '%q' "$ERR")" ;; esac
assert_contains "$ERR" 'lock evil\x1b[2J not obtained' "the refusal"
run list --json
assert_contains "$OUT" 'evil\u001b[2J' "list --json (JSON escapes it itself)"
release h
sv_wait holder

run --state-dir "$W/tasks" task run "t${esc}]0;pwned"$'\a' -- true
assert_status 0
run --state-dir "$W/tasks" task list
case "$OUT$ERR" in *"$esc"*|*$'\a'*) fail "a control character reached the terminal: $(printf '%q' "$OUT")" ;; esac
assert_contains "$OUT" 't\x1b]0;pwned\x07: succeeded' "task list"
