#!/bin/bash
# A reader of supervise's output that goes away (| head -1) does not end the supervision:
# supervise ignores SIGPIPE, stops copying to that stream only, and the log, the timeout
# and the kill of the whole tree go on. The same for a stderr whose reader is gone.
. "$TESTS_DIR/lib.sh"

# supervise ARGS..., its pid in $W/pid (leftover checks look for cgroups named after it)
sv() { echo $BASHPID >"$W/pid"; exec "$SUPERVISE" "$@"; }

cmd='echo 1; sleep 0.5; echo 2; echo two >&2; sleep 30'
sv --log "$W/log" --timeout 2 --kill-after 1 -- sh -c "$cmd" </dev/null 2>"$W/err" | head -1 >"$W/first"
echo "${PIPESTATUS[0]}" >"$W/status"
SUP_PIDS+=("$(cat "$W/pid")")
assert_eq 124 "$(cat "$W/status")" "exit status of supervise whose stdout reader left"
assert_eq 1 "$(cat "$W/first")" "what head read"
grep -qx 2 "$W/log" || fail "the log lost the output written after the reader left: $(cat "$W/log")"
grep -qx two "$W/log" || fail "the log lost stderr: $(cat "$W/log")"
assert_contains "$(cat "$W/err")" "timed out after 2s" "the timeout message on stderr"

# stderr's reader gone: the timeout message cannot be written, the run still ends at 2 s
sv --timeout 2 --kill-after 1 -- sh -c "sleep 30" </dev/null 2>&1 >/dev/null | true
echo "${PIPESTATUS[0]}" >"$W/status2"
SUP_PIDS+=("$(cat "$W/pid")")
assert_eq 124 "$(cat "$W/status2")" "exit status of supervise whose stderr reader left"
no_leftovers
