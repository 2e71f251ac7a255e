#!/bin/bash
# A garbled or truncated owner record while its run lives: one warning line, the slot stays
# held (repaired from the cgroup tree), nothing crashes; once the run ends, the slot is free.
. "$TESTS_DIR/lock_lib.sh"

for damage in garble truncate empty; do
    sv_bg "h-$damage" --lock c -- "${HOLD[@]}" "$W/h-$damage"
    wait_for_file "$W/h-$damage.in"
    record=$(record_file c)
    case $damage in
    garble)   printf 'version=1\n\x01\xff#%%garbage\nslot=zero\n' >"$record" ;;
    truncate) head -c $(( $(wc -c <"$record") / 2 )) "$record" >"$W/half" && cp "$W/half" "$record" ;;
    empty)    : >"$record" ;;
    esac
    run check c
    assert_status 1
    assert_eq 1 "$(printf '%s\n' "$ERR" | grep -c .)" "warning lines after a $damage record"
    assert_match "$ERR" "^supervise: warning: .*corrupt" "warning after a $damage record"
    run check c;  assert_status 1
    assert_eq "" "$ERR" "stderr of the next check (the record was repaired)"
    run --lock c --wait 0 -- true;  assert_status 75
    run list c --json;  assert_status 0
    assert_contains "$OUT" "\"slot\": 0" "list after the repair"
    release "h-$damage"
    sv_wait "h-$damage"
    assert_eq 0 "$RC" "exit status of the holder whose record was damaged ($damage)"
    run check c;  assert_status 0
    assert_not_contains "$ERR" "internal error" "check after the run ended"
done
