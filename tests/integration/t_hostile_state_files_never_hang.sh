#!/bin/bash
# State files that someone replaced by a FIFO, or made huge, never hang supervise or eat
# its memory: they read as corrupt (a record is repaired or removed, the pool's name file
# rebuilt from the name given) and each command answers at once. A FIFO in place of a
# pool's lock file is refused by name.
. "$TESTS_DIR/lock_lib.sh"
RUN_LIMIT=15

# A pool exists while something holds it: each case gets one, held by a process of ours.
sleep 300 &
owner=$!
i=0
hold_pool() {  # NAME: a pool of 2 slots, slot 0 held by $owner; sets $pool
    run lock "$1" --slots 2 --owner "$owner";  assert_status 0
    pool=$LOCK_STATE_DIR/locks/$1
    [ -d "$pool/queue" ] || fail "no pool directory $pool"
}
for file in slot-0 name slots queue/.seq queue/000000000099-1; do
    i=$((i + 1))
    hold_pool "k$i"
    rm -f "$pool/$file"
    mkfifo "$pool/$file"
    run check "k$i";                case $RC in 0|1) ;; *) assert_status 0 ;; esac
    run list;                       assert_status 0
    run list --json;                assert_status 0
    "$PY" -c 'import json,sys; json.loads(sys.argv[1])' "$OUT" || fail "list --json with a FIFO $file: $OUT"
    run --lock "k$i" --slots 2 --wait 0 -- true;  case $RC in 0|75) ;; *) assert_status 0 ;; esac
    if [ "$file" = name ]; then  # the run rebuilt it from the name it was given
        [ -f "$pool/name" ] && [ "$(cat "$pool/name")" = "k$i" ] || fail "the name file was not rebuilt"
    fi
    rm -f "$pool/$file"
done

hold_pool big
truncate -s 1G "$pool/slot-1"
run check big
assert_status 0
assert_cmp "$ELAPSED" '<' 5 "seconds to check a pool with a 1 GB record"
rm -f "$pool/slot-1"

hold_pool fifo-lock
rm -f "$pool/lock"; mkfifo "$pool/lock"
run check fifo-lock
assert_status 125
assert_contains "$ERR" "$pool/lock is not a regular file" "message for a FIFO lock file"
rm -f "$pool/lock"
kill "$owner"; wait "$owner" 2>/dev/null

# a task record
run task start t -- true;  assert_status 0
run task wait t;           assert_status 0
rec=$(find "$LOCK_STATE_DIR/tasks" -name record)
rm -f "$rec"; mkfifo "$rec"
run task status t
assert_status 125
assert_contains "$ERR" "corrupt" "task status with a FIFO record"
run task reset t;          assert_status 0
assert_no_lock_leftovers
no_leftovers
