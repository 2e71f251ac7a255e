#!/bin/bash
# Handoff latency of a lock: from the moment the holder's command ends to the moment the
# next waiter's command starts, over N handoffs, for `supervise --lock` and for flock(1) on
# a file, in the same run. Prints p50/p99 of each and their ratio. A measurement, not a
# test: it asserts nothing. See bench/README.md for the method.
#
# Usage: bench/handoff.sh [N]        (default 100 handoffs per tool)
# Environment: SUPERVISE (default: build/supervise beside this script's source tree)
set -euo pipefail
N=${1:-100}
here=$(cd "$(dirname "$0")" && pwd)
SUPERVISE=${SUPERVISE:-$here/../build/supervise}
[ -x "$SUPERVISE" ] || { echo "handoff.sh: $SUPERVISE is not executable (set SUPERVISE)" >&2; exit 2; }
command -v flock >/dev/null || { echo "handoff.sh: flock(1) is not installed" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/supervise-bench.XXXXXX")
export SUPERVISE_STATE_DIR=$work/state
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The commands: the holder logs "end" once released; each waiter logs "start" first thing
# and "end" last thing. Timestamps come from date(1) inside the commands for both tools.
HOLDER='while [ ! -e "$1.stop" ]; do sleep 0.005; done; echo "end $(date +%s%N)" >>"$1"'
WAITER='echo "start $(date +%s%N)" >>"$1"; echo "end $(date +%s%N)" >>"$1"'

# queued TOOL: how many waiters are blocked on the lock now
queued() {
    if [ "$1" = supervise ]; then
        "$SUPERVISE" list bench --json | python3 -c 'import json,sys; p=json.load(sys.stdin); print(len(p[0]["waiters"]) if p else 0)'
    else
        local n=0 p
        for p in "${pids[@]:1}"; do
            grep -qs lock "/proc/$p/wchan" && n=$((n + 1))
        done
        echo "$n"
    fi
}

# measure TOOL: prints N latencies in microseconds, one a line
measure() {
    local tool=$1 log=$work/$1.log i
    local -a lock
    : >"$log"
    if [ "$tool" = supervise ]; then lock=("$SUPERVISE" -q --lock bench --); else lock=(flock "$work/flock.lock"); fi
    pids=()
    "${lock[@]}" sh -c "$HOLDER" sh "$log" &
    pids+=("$!")
    sleep 0.5
    for ((i = 0; i < N; i++)); do
        "${lock[@]}" sh -c "$WAITER" sh "$log" &
        pids+=("$!")
    done
    # every waiter blocked on the lock before the first handoff
    for ((i = 0; i < 3000; i++)); do
        [ "$(queued "$tool")" -ge "$N" ] && break
        sleep 0.01
    done
    : >"$log.stop"
    for p in "${pids[@]}"; do wait "$p"; done
    pids=()
    sort -k2,2n "$log" | awk '$1 == "end" { e = $2 } $1 == "start" && e { printf "%d\n", ($2 - e) / 1000; e = 0 }'
}

# stats LABEL: p50 and p99 of the latencies on stdin
stats() {
    sort -n | awk -v label="$1" '{ v[NR] = $1 }
        END { p50 = v[int(NR * 0.50 + 0.999)]; p99 = v[int(NR * 0.99 + 0.999)]
              printf "%-10s handoffs %4d   p50 %8.2f ms   p99 %8.2f ms\n", label, NR, p50 / 1000, p99 / 1000
              print p50, p99 > "/dev/stderr" }'
}

echo "handoff latency, $N handoffs each ($(nproc) CPUs, $(uname -r))"
s=$(measure supervise | stats "supervise" 2>"$work/s.p")
f=$(measure flock | stats "flock(1)" 2>"$work/f.p")
echo "$s"
echo "$f"
read -r s50 s99 <"$work/s.p"
read -r f50 f99 <"$work/f.p"
awk -v a="$s50" -v b="$f50" -v c="$s99" -v d="$f99" \
    'BEGIN { printf "ratio supervise/flock   p50 %.1fx   p99 %.1fx\n", (b ? a / b : 0), (d ? c / d : 0) }'
