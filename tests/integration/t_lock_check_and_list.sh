#!/bin/bash
# check: 0 while a slot is free (also for a lock never used), 1 when all are held.
# list: holders and waiters, as text, as JSON and as CSV that parse (names with quotes,
# commas and backslashes included).
. "$TESTS_DIR/lock_lib.sh"

NAME='pool "α",\b'
run check "never-used";  assert_status 0
run list --json;         assert_status 0; assert_eq '[]' "$OUT" "list --json with no locks"

sv_bg h0 --lock "$NAME" --slots 2 -- "${HOLD[@]}" "$W/h0"
wait_for_file "$W/h0.in"
run check "$NAME";       assert_status 0
sv_bg h1 --lock "$NAME" --slots 2 -- "${HOLD[@]}" "$W/h1"
wait_for_file "$W/h1.in"
run check "$NAME";       assert_status 1
sv_bg waiter --lock "$NAME" --slots 2 -- echo 'a "quoted", command'
until_true 10 has_waiters "$NAME" 1 || fail "the waiter never queued"
run check "$NAME";       assert_status 1

run list;  assert_status 0
assert_contains "$OUT" "$NAME: 2 of 2 slots held, 1 waiting" "list"
run list "$NAME" --json; assert_status 0
"$PY" - "$W/out" "$NAME" "$(cat "$W/h0.in") $(cat "$W/h1.in")" "${BG_PID[waiter]}" <<'EOF' || fail "list --json: $OUT"
import json, os, sys
out, name, holder_pids, waiter_pid = sys.argv[1], sys.argv[2], sys.argv[3].split(), int(sys.argv[4])
[pool] = json.load(open(out))
assert pool["name"] == name and pool["slots"] == 2, pool
holders = sorted(pool["holders"], key=lambda h: h["slot"])
assert [h["slot"] for h in holders] == [0, 1], holders
assert sorted(h["pid"] for h in holders) == sorted(map(int, holder_pids)), holders
for h in holders:
    assert h["kind"] == "run" and "while" in h["command"] and h["held_seconds"] >= 0, h
    assert os.path.isdir(h["cgroup"]), h
[w] = pool["waiters"]
assert w["position"] == 0 and w["pid"] == waiter_pid and w["waiting_seconds"] >= 0, w
assert w["command"] == 'echo a "quoted", command', w
EOF
run list --csv; assert_status 0
"$PY" - "$W/out" "$NAME" <<'EOF' || fail "list --csv: $OUT"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows[0] == "lock,slots,role,slot_or_position,pid,seconds,command,cgroup,reserved_bytes,memory_current_bytes,priority".split(","), rows[0]
body = sorted(rows[1:], key=lambda r: (r[2], r[3]))
assert [(r[0], r[1], r[2], r[3]) for r in body] == [
    (sys.argv[2], "2", "holder", "0"), (sys.argv[2], "2", "holder", "1"),
    (sys.argv[2], "2", "waiter", "0")], body
assert all(len(r) == 11 for r in body), body
# what each holder's cgroup uses now; no budget, so no reservation
assert all(int(r[9]) > 0 and r[8] == "" for r in body[:2]), body
assert body[2][10] == "0", body[2]
assert body[2][6] == 'echo a "quoted", command', body[2]
EOF

release h0
sv_wait waiter; assert_eq 0 "$RC" "the waiter's exit status"
release h1
sv_wait h0; sv_wait h1
run check "$NAME"; assert_status 0
run list "$NAME" --json
assert_eq "[]" "$OUT" "list after the end (a pool nobody holds or waits for is gone)"
