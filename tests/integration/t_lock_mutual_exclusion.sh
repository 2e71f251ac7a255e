#!/bin/bash
# 20 runs started at once on one lock: never two inside together, and every one is served.
# With --slots 3: never more than 3 inside, each inside with a slot no one else inside has.
#@ conformance
. "$TESTS_DIR/lock_lib.sh"

N=20
# Each run logs "enter|exit <ns> <slot>" from inside the lock (O_APPEND: lines never mix).
BODY='echo "enter $(date +%s%N) $SUPERVISE_SLOT" >>"$0"; sleep 0.05; echo "exit $(date +%s%N) $SUPERVISE_SLOT" >>"$0"'

# check_log LOG SLOTS: at most SLOTS inside at any time, slots in 0..SLOTS-1 and unique
# among those inside, N entries each with its exit. Equal timestamps order exits first.
check_log() {
    sort -k2,2n -k1,1r "$1" | awk -v max="$2" -v n="$N" '
        $1 == "enter" { inside++; entered++
                        if (inside > max) { print "at " $2 ": " inside " inside, most allowed " max; bad = 1 }
                        if ($3 !~ /^[0-9]+$/ || $3 >= max) { print "slot " $3 " outside 0.." max - 1; bad = 1 }
                        if (used[$3]++) { print "at " $2 ": slot " $3 " given to two runs inside"; bad = 1 } }
        $1 == "exit"  { inside--; used[$3]-- }
        END { if (entered != n) { print entered " of " n " runs entered"; bad = 1 }
              if (inside != 0) { print inside " runs never left"; bad = 1 }
              exit bad }' || fail "$(sort -k2,2n "$1")"
}

for slots in 1 3; do
    : >"$W/log$slots"
    for i in $(seq $N); do
        sv_bg "r$slots-$i" --lock "m$slots" --slots "$slots" -- sh -c "$BODY" "$W/log$slots"
    done
    for i in $(seq $N); do
        sv_wait "r$slots-$i"
        [ "$RC" = 0 ] || fail "run $i (--slots $slots) exited $RC: $(bg_err "r$slots-$i")"
    done
    check_log "$W/log$slots" "$slots"
    lock_free "m$slots" || fail "lock m$slots is not free after all runs ended"
done
assert_no_lock_leftovers
