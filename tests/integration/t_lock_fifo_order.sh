#!/bin/bash
# Waiters are served in the order they arrived: a holder holds, six waiters queue one by
# one (each seen in the queue before the next comes), the holder ends, they run in order.
. "$TESTS_DIR/lock_lib.sh"

N=6
sv_bg holder --lock q -- "${HOLD[@]}" "$W/holder"
wait_for_file "$W/holder.in"
for i in $(seq $N); do
    sv_bg "w$i" --lock q -- sh -c 'echo "$1" >>"$0"' "$W/order" "$i"
    until_true 10 has_waiters q "$i" || fail "waiter $i never showed up in the queue: $("$S" list q)"
    sleep 0.2
done
expected=$(for i in $(seq $N); do echo -n "${BG_PID[w$i]} "; done)
assert_eq "${expected% }" "$("$S" list q --json | "$PY" -c '
import json, sys
print(" ".join(str(w["pid"]) for w in json.load(sys.stdin)[0]["waiters"]))')" "waiters' pids in queue order"
[ ! -e "$W/order" ] || fail "a waiter ran while the lock was held: $(cat "$W/order")"
release holder
sv_wait holder
assert_eq 0 "$RC" "holder's exit status"
for i in $(seq $N); do
    sv_wait "w$i"
    [ "$RC" = 0 ] || fail "waiter $i exited $RC: $(bg_err "w$i")"
done
assert_eq "$(seq -s ' ' $N)" "$(tr '\n' ' ' <"$W/order" | sed 's/ $//')" "order the waiters ran in"
lock_free q || fail "lock q is not free after all runs ended"
