#!/bin/bash
# Every finished run appends one record to the history, locked or not, task or not:
# `supervise history --json` gives its job key (--job KEY, else LOCK:DIR:COMMAND), exit
# status, signal, OOM, limit, peak, lock, slot and wait; --job and --last filter; --csv has
# a header and a row per run; per-job summaries count runs, failures and OOM kills. A look
# at the history of a state directory never used creates nothing.
. "$TESTS_DIR/lock_lib.sh"

fresh=$W/fresh
run --state-dir "$fresh" history --json
assert_status 0
[ ! -e "$fresh" ] || fail "history of an unused state directory created $(find "$fresh")"

cd "$W" || fail "cd"
run -- true;  assert_status 0
run --memory 64M -- sh -c 'exit 3';  assert_status 3
run --lock hist --job build -- true;  assert_status 0
run --job build --timeout 0.2 -- sleep 5;  assert_status 124
run task run t1 --job the-task -- true;  assert_status 0

run history --json
assert_status 0
"$PY" - "$W/out" "$W" <<'PY' || fail "history --json: $(cat "$W/out")"
import json, sys
h = json.load(open(sys.argv[1])); w = sys.argv[2]
runs = {r["job"]: r for r in h["runs"]}
assert len(h["runs"]) == 5, h["runs"]
assert runs[":%s:true" % w]["exit_status"] == 0, runs
failed = runs[":%s:sh -c exit 3" % w]
assert failed["exit_status"] == 3 and failed["memory_limit_bytes"] == 64 << 20, failed
assert failed["memory_peak_bytes"] is None or failed["memory_peak_bytes"] > 0, failed
builds = [r for r in h["runs"] if r["job"] == "build"]
assert builds[0]["lock"] == "hist" and builds[0]["slot"] == 0 and builds[0]["wait_seconds"] is not None, builds
assert builds[1]["exit_status"] == 124 and builds[1]["timed_out"] and builds[1]["lock"] is None, builds
assert runs["the-task"]["exit_status"] == 0, runs
jobs = {j["job"]: j for j in h["jobs"]}
assert jobs["build"]["runs"] == 2 and jobs["build"]["failed"] == 1, jobs
assert h["runs"] == sorted(h["runs"], key=lambda r: r["started"]), "not oldest first"
PY

run --memory 20M -q -- sh -c 'x=$(head -c 300000000 /dev/zero | tr "\0" x); echo ${#x}'
assert_status 137
run history --json --last 1
"$PY" - "$W/out" <<'PY' || fail "history --last 1 after an OOM run: $(cat "$W/out")"
import json, sys
h = json.load(open(sys.argv[1]))
assert len(h["runs"]) == 1 and h["runs"][0]["oom_killed"] and h["runs"][0]["signal"] == "KILL", h
assert h["jobs"][0]["oom_kills"] == 1, h["jobs"]
PY

run history --job build
assert_status 0
assert_eq 2 "$(grep -c ' build$' "$W/out")" "runs of job build in the table"
assert_contains "$OUT" "build: 2 runs, 1 failed" "summary of job build"
run history --csv
assert_match "$(head -1 "$W/out")" "^started,job,wall_seconds," "csv header"
assert_eq 6 "$(tail -n +2 "$W/out" | grep -c .)" "csv rows"
run history --last 0
assert_status 125
