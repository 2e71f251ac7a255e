#!/bin/bash
# --result replaces only a regular file (or creates one), atomically; a character device,
# a pipe or one of supervise's descriptors (/dev/stdout, whatever it leads to) is written
# in place; a symlink, a directory or a block device is refused before the command runs.
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

# /dev/stdout redirected to a file: the result is appended after the command's output
"$SUPERVISE" --result /dev/stdout -- echo out </dev/null >"$W/both" 2>"$W/both.err" ||
    fail "--result /dev/stdout into a file: exit $? ($(cat "$W/both.err"))"
assert_eq out "$(head -1 "$W/both")" "the command's output before the result"
assert_contains "$(sed -n 2p "$W/both")" '"exit_status": 0' "the result after the command's output"

if mknod "$W/block" b 7 200 2>/dev/null; then
    run --result "$W/block" -- touch "$W/ran"
    assert_status 125
    assert_contains "$ERR" "is not a regular file, a character device or a pipe" "message for a block device"
    [ -b "$W/block" ] || fail "--result replaced a block device"
fi

mkdir "$W/dir"
run --result "$W/dir" -- true
assert_status 125
assert_contains "$ERR" "is a directory" "message for a directory"
no_leftovers
