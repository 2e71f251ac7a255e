#!/bin/bash
# The memory rule hears PSI: a job that allocates past --memory-high is throttled by the
# kernel (memory.high: reclaim and penalty sleeps, which PSI counts as memory stall), the
# trigger on the run's memory.pressure fires, and tokens are held back -- the result counts
# the stalls it reacted to. Where memory.high is no hard throttle (hybrid: a v1 soft
# limit) there is no stall to see, and the test says so.
#@ conformance
. "$TESTS_DIR/lib.sh"

# Allocates 256K at a time up to 72M (past the 48M soft limit) for at most 4s, then holds
# for 1s. Throttled hard (a slow guest), it may still be at it when --timeout ends it:
# the stalls are what counts here.
alloc='import time
t = time.time(); chunks = []
while len(chunks) < 288 and time.time() - t < 4:
    chunks.append(b"x" * (1 << 18))
time.sleep(1)'
run --memory-high 48M --jobs 4 --json --timeout 15 --kill-after 1 -- "$PY" -c "$alloc"
skip_if_unenforceable --memory-high
[ "$RC" = 0 ] || [ "$RC" = 124 ] || fail "exit status $RC, expected 0 (or 124: still throttled at the timeout)$(_last_run)"
driver=$(json driver)
unified=$(json cgroup)
if [ "$driver" = hybrid ] || { [ "$driver" = systemd ] && [ -d /sys/fs/cgroup/unified ]; }; then
    skip "memory.high is a v1 soft limit on this hybrid host: no throttling, no stall ($unified)"
fi
events=$(json jobs.pressure_events)
note "pressure events: $events, held back $(json jobs.seconds_throttled)s"
assert_cmp "$events" '>=' 1 "jobs.pressure_events of a job throttled at memory.high"
assert_cmp "$(json jobs.seconds_throttled)" '>' 0 "jobs.seconds_throttled"
assert_eq $((36 * MiB)) "$(json jobs.memory_threshold_bytes)" "threshold: 75% of --memory-high"
no_leftovers
