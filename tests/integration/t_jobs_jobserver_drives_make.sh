#!/bin/bash
# --jobs N makes supervise the command's jobserver, for real GNU make: 16 targets that
# record when they start and end never run more than N at once, and all of them run; a
# caller's MAKEFLAGS=-j99 is replaced (and -v says so) while its other flags stay; a
# sub-make (a grandchild) joins the same jobserver, so the whole tree stays within N; the
# command inherits the pipe's two descriptors and none other of ours; CARGO_MAKEFLAGS names
# the same pipe. Bad values: 125 with one line.
#@ conformance
. "$TESTS_DIR/lock_lib.sh"

command -v make >/dev/null || skip "GNU make is not installed (tests/install-deps.sh installs it)"

# One target: start and end stamps (with a sequence number: clocks of two processes are
# compared only through the order of lines appended to one file).
mkdir "$W/b" "$W/b/sub"
cat >"$W/b/targets.mk" <<'EOF'
t%:
	@echo "start $(PREFIX)$@" >>$(LOG); sleep 0.4; echo "end $(PREFIX)$@" >>$(LOG)
EOF
cat >"$W/b/Makefile" <<EOF
LOG := $W/b/log
all: \$(addprefix t,1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
	@echo "MAKEFLAGS=\$(MAKEFLAGS)" >$W/b/flags
include targets.mk
EOF
# max_concurrent LOG: the most targets between their start and end lines at once
max_concurrent() {
    awk '$1 == "start" {n++; if (n > m) m = n} $1 == "end" {n--} END {print m + 0}' "$1"
}

MAKEFLAGS='-j99 -k' run -v --jobs 4 --json -C "$W/b" -- make
assert_status 0
assert_eq 16 "$(grep -c '^end ' "$W/b/log")" "targets that ran to the end"
peak=$(max_concurrent "$W/b/log")
assert_cmp "$peak" '<=' 4 "targets running at once under --jobs 4 (log: $(tr '\n' ' ' <"$W/b/log"))"
assert_cmp "$peak" '>=' 2 "targets running at once under --jobs 4: make got no token"
flags=$(cat "$W/b/flags")
assert_contains "$flags" "-j4" "MAKEFLAGS make saw"
assert_contains "$flags" "--jobserver-auth=" "MAKEFLAGS make saw"
assert_not_contains "$flags" "j99" "MAKEFLAGS make saw"
assert_match "$flags" "^MAKEFLAGS=k " "the caller's -k kept in MAKEFLAGS"
assert_contains "$ERR" "'-j99' replaced by the jobserver's -j4" "-v on stderr"
sed -n '/^{/,$p' "$W/out" >"$W/result.json"
assert_eq 4 "$(json jobs.max "$W/result.json")" "jobs.max"
jpeak=$(json jobs.peak_parallel "$W/result.json")
assert_cmp "$jpeak" '<=' 4 "jobs.peak_parallel"
assert_cmp "$jpeak" '>=' 2 "jobs.peak_parallel"
assert_eq null "$(json jobs.memory_threshold_bytes "$W/result.json")" "no memory rule without --memory"
assert_cmp "$(json jobs.seconds_throttled "$W/result.json")" '==' 0 "jobs.seconds_throttled"

# With a lock's memory budget: the run reserves its --memory, and the jobserver (now with
# the memory rule) still drives the build. Where --memory cannot be enforced (the host's
# unified hierarchy has no memory controller) it is refused with one line, before the lock.
rm -f "$W/b/log"
run --lock jobs --capacity 1G --memory 300M --jobs 4 --json -C "$W/b" -- make
if [ "$RC" = 125 ] && [[ $ERR == *"cannot enforce --memory"* ]]; then
    [ -n "${SUPERVISE_FORBID_SKIP:-}" ] && fail "--memory refused in a world that must enforce it: $ERR"
    note "--memory not enforceable here, the budget part is not run: $ERR"
else
    assert_status 0
    assert_eq 16 "$(grep -c '^end ' "$W/b/log")" "targets that ran under --lock --capacity"
    assert_cmp "$(max_concurrent "$W/b/log")" '<=' 4 "targets at once under --lock --capacity --jobs 4"
    sed -n '/^{/,$p' "$W/out" >"$W/result.json"
    assert_eq $((300 * MiB)) "$(json memory_reserved_bytes "$W/result.json")" "reservation"
    assert_eq $((225 * MiB)) "$(json jobs.memory_threshold_bytes "$W/result.json")" "threshold: 75% of --memory"
fi

# A sub-make is the command's grandchild: it takes its tokens from the same pipe, so the
# parent's 8 targets and the sub-make's 8 together stay within 3.
rm -f "$W/b/log"
cp "$W/b/targets.mk" "$W/b/sub/"
cat >"$W/b/sub/Makefile" <<EOF
LOG := $W/b/log
PREFIX := sub-
all: \$(addprefix t,1 2 3 4 5 6 7 8)
include targets.mk
EOF
cat >"$W/b/Recursive.mk" <<EOF
LOG := $W/b/log
.PHONY: sub
all: sub \$(addprefix t,1 2 3 4 5 6 7 8)
sub:
	@\$(MAKE) -s -C sub
include targets.mk
EOF
run --jobs 3 -C "$W/b" -- make -f Recursive.mk
assert_status 0
assert_eq 16 "$(grep -c '^end ' "$W/b/log")" "targets of make and its sub-make that ran"
assert_eq 8 "$(grep -c '^end sub-' "$W/b/log")" "targets of the sub-make that ran"
peak=$(max_concurrent "$W/b/log")
# (the sub-make itself holds one of the 3 while its targets run)
assert_cmp "$peak" '<=' 3 "targets of the whole tree at once under --jobs 3 (log: $(tr '\n' ' ' <"$W/b/log"))"
assert_cmp "$peak" '>=' 2 "targets of the whole tree at once under --jobs 3"

# Descriptors: the command holds what it held without --jobs, plus the pipe's two ends.
fds='ls /proc/self/fd | sort -n | tr "\n" " "; echo; echo "$MAKEFLAGS"; echo "$CARGO_MAKEFLAGS"'
run -- sh -c "$fds"
assert_status 0
plain_fds=$(sed -n 1p "$W/out")
assert_eq "" "$(sed -n 2p "$W/out")" "MAKEFLAGS without --jobs (none given)"
run --jobs 2 -- sh -c "$fds"
assert_status 0
auth=$(sed -n 2p "$W/out" | grep -o 'jobserver-auth=[0-9]*,[0-9]*' | cut -d= -f2)
[ -n "$auth" ] || fail "no --jobserver-auth=R,W in MAKEFLAGS: $(sed -n 2p "$W/out")"
r=${auth%,*} w=${auth#*,}
expected=$(printf '%s\n' $plain_fds "$r" "$w" | sort -n | uniq | tr '\n' ' ')
assert_eq "$expected" "$(sed -n 1p "$W/out")" "descriptors of the command under --jobs 2 (pipe $r,$w)"
assert_contains "$(sed -n 3p "$W/out")" "--jobserver-auth=$r,$w" "CARGO_MAKEFLAGS"
# The two ends are one pipe: a token written at one end comes out of the other.
run --jobs 2 -- bash -c 'r=${MAKEFLAGS##*auth=}; w=${r#*,}; r=${r%,*}; eval "exec 8<&$r 9>&$w"; printf x >&9; head -c 2 <&8'
assert_status 0
assert_eq "+x" "$(cat "$W/out")" "bytes read from the pipe: the one free token, then the byte written"

# Bad values
for bad in 0 x 4097; do
    run --jobs "$bad" -- true
    assert_status 125
    assert_contains "$ERR" "--jobs" "error for --jobs $bad"
    assert_eq 1 "$(wc -l <"$W/err")" "lines on stderr for --jobs $bad"
done
run --jobs-memory-threshold 50% -- true
assert_status 125
assert_contains "$ERR" "goes with --jobs" "--jobs-memory-threshold alone"
run --jobs 2 --jobs-memory-threshold 50% -- true
assert_status 125
assert_contains "$ERR" "needs --memory" "--jobs-memory-threshold without a limit"
run --jobs 2 --memory 100M --jobs-memory-threshold 5% -- true
assert_status 125
assert_contains "$ERR" "--jobs-memory-threshold" "a threshold of 5%"
no_leftovers
