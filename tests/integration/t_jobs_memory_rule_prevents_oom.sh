#!/bin/bash
# The jobserver's memory rule, for real: 16 make targets that each allocate and touch
# 100 MiB within a fraction of a second and hold it for a second. Under --memory 500M,
# `make -j16` without a jobserver is OOM-killed inside the run (shown here, so the test
# cannot pass by accident); under --memory 500M --jobs 16 every target completes with no
# OOM kill, because tokens are held back while memory is tight. The result's jobs fields
# agree with the targets' own start/end lines. (A third of the issue's 300 MiB/1500M: the
# QEMU worlds have 1.5G of RAM.)
#@ conformance
. "$TESTS_DIR/lib.sh"

command -v make >/dev/null || skip "GNU make is not installed (tests/install-deps.sh installs it)"

mkdir "$W/b"
cat >"$W/b/Makefile" <<EOF
all: \$(addprefix t,1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
t%:
	@echo "start \$@" >>log; $PY -c 'import time; b = b"x" * (100 << 20); time.sleep(1)' && echo "end \$@" >>log
EOF
max_concurrent() {
    awk '$1 == "start" {n++; if (n > m) m = n} $1 == "end" {n--} END {print m + 0}' "$1"
}

# Without the jobserver: sixteen at once need 1.6G, and the kernel kills inside the run.
run --memory 500M --json -C "$W/b" -- make -j16
skip_if_unenforceable --memory
assert_cmp "$(json oom_kills)" '>' 0 "OOM kills of make -j16 under --memory 500M"
assert_eq null "$(json jobs)" "jobs in a result without --jobs"

# With it: the same build, all of it, and no OOM kill.
rm -f "$W/b/log"
run -v --memory 500M --jobs 16 --json -C "$W/b" -- make
assert_status 0
assert_eq 0 "$(json oom_kills)" "OOM kills under --jobs 16 (log: $(tr '\n' ' ' <"$W/b/log"))"
assert_eq 16 "$(grep -c '^end ' "$W/b/log")" "targets that completed"
peak=$(max_concurrent "$W/b/log")
jpeak=$(json jobs.peak_parallel)
note "targets at once: $peak (by their lines), jobs.peak_parallel $jpeak," \
    "throttled $(json jobs.seconds_throttled)s, withheld up to $(json jobs.tokens_withheld_max)"
assert_cmp "$peak" '<=' 4 "targets at once (each holds 100M; 5 would reach 500M)"
assert_cmp "$peak" '>=' 2 "targets at once: the rule let only one run (memory allowed 3)"
# peak_parallel counts tokens in use (a job holds its token a little longer than its
# recipe's lines) and is sampled: within one of what the lines show.
assert_cmp "$jpeak" '<=' "$peak + 1" "jobs.peak_parallel against the lines"
assert_cmp "$jpeak" '>=' "$peak - 1" "jobs.peak_parallel against the lines"
assert_cmp "$(json jobs.seconds_throttled)" '>' 0 "jobs.seconds_throttled"
assert_cmp "$(json jobs.tokens_withheld_max)" '>=' 12 "jobs.tokens_withheld_max (16 jobs, at most 4 ran)"
assert_eq $((375 * MiB)) "$(json jobs.memory_threshold_bytes)" "jobs.memory_threshold_bytes (75% of 500M)"
assert_match "$ERR" "jobs: [0-9]+ of 16 \(memory [0-9.]+[KMG]? of 500M\): holding tokens back" "-v while held back"
assert_match "$ERR" "supervise: jobs: at most $jpeak of 16 at once; held back [0-9.]+m?s by memory" "-v end line"
expect_driver "$(json driver)"
no_leftovers
