#!/bin/bash
# --log that cannot be written (a full disk: /dev/full) is warned of once on stderr and in
# the result's log_error; the command's output still reaches stdout and the run ends as
# it would. A --log that is a symlink (another user's, in a sticky directory) is refused
# with 125 before anything runs, and the file it points to is left alone; /dev/stdout is
# our own descriptor and works.
. "$TESTS_DIR/lib.sh"

run --log /dev/full --result "$W/r.json" -- sh -c 'echo one; echo two >&2; echo three; exit 3'
assert_status 3
assert_eq "one
three" "$OUT" "stdout with a log that cannot be written"
assert_contains "$ERR" "two" "the command's stderr"
assert_eq 1 "$(grep -c 'warning: cannot write log file /dev/full' "$W/err")" "warnings about the log"
assert_match "$(json log_error "$W/r.json")" "^cannot write log file /dev/full: No space left on device" "log_error"

run --log "$W/fine.log" --result "$W/r2.json" -- echo fine
assert_status 0
assert_eq "null" "$(json log_error "$W/r2.json")" "log_error of a log that took everything"
assert_eq "fine" "$(cat "$W/fine.log")" "the log"

mkdir -m 1777 "$W/sticky"
echo precious >"$W/target"
ln -s "$W/target" "$W/sticky/run.log"
run --log "$W/sticky/run.log" -- touch "$W/ran"
assert_status 125
assert_contains "$ERR" "--log: $W/sticky/run.log is a symlink" "refusal"
[ ! -e "$W/ran" ] || fail "the command ran with a symlinked --log"
assert_eq precious "$(cat "$W/target")" "the symlink's target"

run --log /dev/stdout -- echo via-descriptor
assert_status 0
assert_eq "via-descriptor
via-descriptor" "$OUT" "--log /dev/stdout (the log and stdout are the same file)"
no_leftovers
