#!/bin/bash
# --json prints one JSON object with every documented field after the command's output.
#@ conformance
. "$TESTS_DIR/lib.sh"

run --json -- sh -c 'echo hello; exit 3'
assert_status 3
# Memory is accounted wherever a memory controller is; a cgroup2 root without one (the
# host-cgroup2 world on a hybrid host) has no memory.peak, and the field is null there.
memory_accounted=1
if [ -n "${SUPERVISE_CGROUP_ROOT:-}" ] && ! grep -qw memory "$SUPERVISE_CGROUP_ROOT/cgroup.controllers"; then
    memory_accounted=
fi
"$PY" - "$W/out" "${SUPERVISE_EXPECT_DRIVER:-}" "$memory_accounted" <<'EOF_PY' || fail "JSON result$(_last_run)"
import json, sys
text = open(sys.argv[1]).read()
first, _, rest = text.partition("\n")
assert first == "hello", f"command output first, got {first!r}"
r = json.loads(rest)
fields = {"exit_code", "signal", "oom_killed", "timed_out", "wall_seconds", "user_seconds",
          "system_seconds", "memory_peak_bytes", "cgroup", "driver"}
missing = fields - r.keys()
assert not missing, f"missing fields {missing}"
assert r["exit_code"] == 3, r["exit_code"]
assert r["signal"] is None, r["signal"]
assert r["oom_killed"] is False and r["timed_out"] is False, r
for k in ("wall_seconds", "user_seconds", "system_seconds"):
    assert isinstance(r[k], (int, float)) and not isinstance(r[k], bool) and r[k] >= 0, (k, r[k])
assert r["wall_seconds"] < 30, r["wall_seconds"]
if sys.argv[3]:
    assert isinstance(r["memory_peak_bytes"], int) and r["memory_peak_bytes"] > 0, r["memory_peak_bytes"]
else:
    assert r["memory_peak_bytes"] is None, r["memory_peak_bytes"]
assert isinstance(r["cgroup"], str) and r["cgroup"].startswith("/sys/fs/cgroup/"), r["cgroup"]
assert r["driver"] in ("hybrid", "cgroup2", "systemd"), r["driver"]
if sys.argv[2]:
    assert r["driver"] == sys.argv[2], f"driver {r['driver']}, expected {sys.argv[2]}"
EOF_PY

# wall and cpu time are measured: a 1 s busy loop
run --json -- perl -MTime::HiRes=time -e '$t = time + 1; 1 while time < $t'
assert_status 0
assert_cmp "$(json wall_seconds)" '>=' 0.9 "wall_seconds of a 1 s busy loop"
assert_cmp "$(json user_seconds) + $(json system_seconds)" '>=' 0.3 "cpu seconds of a 1 s busy loop"
no_leftovers
