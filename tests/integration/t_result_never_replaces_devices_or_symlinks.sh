#!/bin/bash
# --result replaces only a regular file (or creates one), atomically; a device or a pipe
# is written in place; a symlink or a directory is refused before the command runs.
. "$TESTS_DIR/lib.sh"

run --result "$W/new.json" -- true
assert_status 0
[ -f "$W/new.json" ] && "$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$W/new.json" \
    || fail "--result did not write a JSON file"

if mknod "$W/null" c 1 3 2>/dev/null; then
    run --result "$W/null" -- true
    assert_status 0
    [ -c "$W/null" ] || fail "--result replaced a character device: $(ls -l "$W/null")"
else
    note "not root: cannot make a device node; the FIFO below stands for devices"
fi

mkfifo "$W/fifo"
cat "$W/fifo" >"$W/fifo.out" &
reader=$!
run --result "$W/fifo" -- true
assert_status 0
wait "$reader"
[ -p "$W/fifo" ] || fail "--result replaced a FIFO"
assert_contains "$(cat "$W/fifo.out")" '"exit_status": 0' "what the FIFO's reader got"

echo keep >"$W/target"
ln -s "$W/target" "$W/link"
run --result "$W/link" -- touch "$W/ran"
assert_status 125
assert_contains "$ERR" "--result: $W/link is a symlink" "message for a symlink"
[ -L "$W/link" ] && [ "$(cat "$W/target")" = keep ] || fail "the symlink or its target was changed"
[ ! -e "$W/ran" ] || fail "the command ran although its result could not be written"

mkdir "$W/dir"
run --result "$W/dir" -- true
assert_status 125
assert_contains "$ERR" "is a directory" "message for a directory"
no_leftovers
