#!/bin/bash
# `supervise lock NAME` makes the calling process the holder: held while it lives, released
# when it exits (even by kill -9) or by `supervise unlock`. Unlocking a lock one does not
# hold: exit 1 and one line. --owner $$ inside $(...) with --slots prints the slot.
. "$TESTS_DIR/lock_lib.sh"

# a script that takes the lock, then ends on its own
bash -c '"$0" lock fg || exit 9; echo $$ >"$1.in"; while [ ! -e "$1.stop" ]; do sleep 0.02; done' "$S" "$W/s1" &
script=$!
wait_for_file "$W/s1.in"
lock_busy fg || fail "check: lock fg is free while the script holds it"
run --lock fg --wait 0 -- true;  assert_status 75
release s1
wait "$script"
lock_free fg || fail "check: lock fg still held after its script exited"

# a script that takes the lock and is killed -9 (it execs sleep: the same process holds)
bash -c '"$0" lock fg || exit 9; echo $$ >"$1.in"; exec sleep 60' "$S" "$W/s2" &
script=$!
wait_for_file "$W/s2.in"
lock_busy fg || fail "check: lock fg is free while the second script holds it"
kill -KILL "$script"
wait "$script" 2>/dev/null
lock_free fg || fail "check: lock fg still held after its holder was killed -9"

# unlock: of a lock never used, and of a lock held by another process
run unlock fg;  assert_status 1
assert_eq 1 "$(printf '%s\n' "$ERR" | grep -c .)" "lines on stderr of unlock (not held)"
assert_contains "$ERR" "not held" "unlock message"
sleep 60 &
other=$!
run lock fg --owner "$other";   assert_status 0
run unlock fg;                  assert_status 1
lock_busy fg || fail "unlock by a process that does not hold it freed the lock"
run unlock fg --owner "$other"; assert_status 0
lock_free fg || fail "unlock --owner did not free the lock"
kill "$other"; wait "$other" 2>/dev/null || true

# --owner $$ from a command substitution, --slots 3: prints the slot, this shell holds it
a=$("$S" lock pool --slots 3 --owner $$) || fail "lock pool (1st) failed"
b=$("$S" lock pool --slots 3 --owner $$) || fail "lock pool (2nd) failed"
assert_eq "0 1" "$a $b" "slots printed"
lock_free pool || fail "check: pool has 3 slots, 2 held, but check says busy"
c=$("$S" lock pool --slots 3 --owner $$) || fail "lock pool (3rd) failed"
assert_eq 2 "$c" "third slot"
lock_busy pool || fail "check: all 3 slots of pool held, but check says free"
run lock pool --slots 3 --wait 0; assert_status 75
for _ in 1 2 3; do run unlock pool --owner $$; assert_status 0; done
run unlock pool --owner $$;       assert_status 1
lock_free pool || fail "pool not free after three unlocks"
# a plain `lock` (slots 1) prints nothing
run lock solo --owner $$; assert_status 0; assert_eq "" "$OUT" "stdout of lock with one slot"
run unlock solo --owner $$; assert_status 0
