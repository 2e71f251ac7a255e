#!/bin/bash
# When the main process exits, everything left in its cgroup dies: a setsid'd process, a
# double-forked daemon that ignores SIGTERM/SIGHUP, a loop that keeps forking. The run's
# cgroup is removed.
#@ conformance
. "$TESTS_DIR/lib.sh"

cat >"$W/tree.sh" <<'SH'
w=$1
exec </dev/null >/dev/null 2>&1
setsid bash -c 'echo $$ >"$1/setsid.pid"; exec sleep 300' _ "$w" &
bash -c '( trap "" TERM HUP INT; echo $BASHPID >"$1/daemon.pid"; exec sleep 300 ) &' _ "$w"
bash -c 'echo $$ >"$1/forker.pid"; while :; do sleep 0.05 & wait; done' _ "$w" &
for _ in $(seq 200); do
    [ -s "$w/setsid.pid" ] && [ -s "$w/daemon.pid" ] && [ -s "$w/forker.pid" ] && exit 0
    sleep 0.05
done
exit 9
SH
run --json -- bash "$W/tree.sh" "$W"
assert_status 0
for f in setsid daemon forker; do
    pid=$(cat "$W/$f.pid")
    [ -n "$pid" ] || fail "the $f process never started"
    if [ -d "/proc/$pid" ] && grep -qaF "TEST_TOKEN=$TEST_TOKEN" "/proc/$pid/environ" 2>/dev/null; then
        grep -q '^State:.*Z' "/proc/$pid/status" || fail "the $f process ($pid) survived the run"
    fi
done
cg=$(json cgroup)
[ -n "$cg" ] && [ "$cg" != null ] || fail "no cgroup in the JSON result"
[ ! -e "$cg" ] || fail "the run's cgroup $cg still exists"
expect_driver "$(json driver)"
no_leftovers
