#!/bin/bash
# Waiting is event driven: a waiter that waits ~2 s for a holder makes no sleep calls and
# wakes only a few times (its first look, the 1 s wait message, the release), instead of
# polling. Not a timing assertion: the system calls are counted with strace.
. "$TESTS_DIR/lock_lib.sh"

command -v strace >/dev/null || skip "strace is not installed (apt-get install strace): cannot count the waiter's wake-ups"
strace -f -o /dev/null true 2>/dev/null || skip "strace cannot trace here (ptrace not permitted)"

sv_bg holder --lock e -- "${HOLD[@]}" "$W/holder"
wait_for_file "$W/holder.in"
strace -f -o "$W/trace" -e trace=epoll_wait,epoll_pwait,nanosleep,clock_nanosleep \
    "$S" --lock e -- true </dev/null >"$W/waiter.out" 2>"$W/waiter.err" &
BG_PID[waiter]=$!
until_true 10 has_waiters e 1 || fail "the waiter never queued"
sleep 2
release holder
sv_wait holder
sv_wait waiter
assert_eq 0 "$RC" "exit status of the traced waiter: $(cat "$W/waiter.err")"
assert_contains "$(cat "$W/waiter.err")" "waiting for lock e" "wait message"
sleeps=$(grep -cE '(^|[ ])(clock_)?nanosleep\(' "$W/trace")
wakeups=$(grep -cE '(^|[ ])epoll_p?wait\(' "$W/trace")
note "waiter: $sleeps sleep calls, $wakeups epoll waits in ~2 s"
[ "$sleeps" = 0 ] || fail "the waiter made $sleeps sleep calls: $(grep -E 'nanosleep\(' "$W/trace" | head -5)"
[ "$wakeups" -le 10 ] || fail "the waiter called epoll_wait $wakeups times in ~2 s (a few expected): it polls. First calls:
$(grep -E 'epoll_p?wait\(' "$W/trace" | head -5)"
