#!/bin/bash
# 20 runs finishing at once each append their history record: all 20 are there and
# readable, nothing interleaved; a torn line (a crash mid-write) loses only itself, with
# one warning.
. "$TESTS_DIR/lock_lib.sh"

for i in $(seq 1 20); do
    sv_bg "r$i" --job "job-$i" -- sh -c "while [ ! -e '$W/go' ]; do sleep 0.01; done"
done
sleep 0.3
: >"$W/go"
for i in $(seq 1 20); do
    sv_wait "r$i"
    assert_eq 0 "$RC" "exit status of run $i"
done
run history --json
assert_status 0
assert_eq "" "$ERR" "stderr of history"
"$PY" - "$W/out" <<'PY' || fail "20 concurrent records: $(cat "$W/out")"
import json, sys
h = json.load(open(sys.argv[1]))
jobs = sorted(r["job"] for r in h["runs"])
assert jobs == sorted("job-%d" % i for i in range(1, 21)), jobs
PY
file=$SUPERVISE_STATE_DIR/history/runs.jsonl
printf '{"version": 1, "job": "torn", "sta' >>"$file"
printf '\n' >>"$file"
run --job after -- true
run history --json
assert_match "$ERR" "warning: 1 line\(s\) of the history are not records" "warning of a torn line"
"$PY" - "$W/out" <<'PY' || fail "after a torn line: $(cat "$W/out")"
import json, sys
h = json.load(open(sys.argv[1]))
assert len(h["runs"]) == 21 and h["runs"][-1]["job"] == "after", h["runs"][-1]
PY
