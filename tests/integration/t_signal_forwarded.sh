#!/bin/bash
# SIGUSR1, SIGUSR2, SIGHUP, SIGINT and SIGTERM sent to supervise reach the command, which
# traps and records them; supervise itself survives until the command exits.
#@ conformance
. "$TESTS_DIR/lib.sh"

cat >"$W/cmd.sh" <<'SH'
w=$1
for s in USR1 USR2 HUP INT; do trap "echo $s >>\"$w/got\"" $s; done
trap 'echo TERM >>"$w/got"; exit 7' TERM
echo up >"$w/up"
while :; do sleep 0.1; done
SH
start_bg -- bash "$W/cmd.sh" "$W"
wait_for_file "$W/up"
for s in USR1 USR2 HUP INT; do
    kill -"$s" "$SPID" || fail "supervise died before SIG$s"
    for _ in $(seq 100); do grep -qx "$s" "$W/got" 2>/dev/null && break; sleep 0.05; done
    grep -qx "$s" "$W/got" 2>/dev/null || fail "SIG$s sent to supervise did not reach the command (got: $(cat "$W/got" 2>/dev/null))"
done
kill -TERM "$SPID" || fail "supervise died before SIGTERM"
wait_bg
assert_status 7
assert_eq "USR1 USR2 HUP INT TERM" "$(tr '\n' ' ' <"$W/got" | sed 's/ $//')" "signals the command received"
no_leftovers
