#!/bin/bash
# A user's kill-all that finds another user's runs beside hers (root's runs under a cgroup
# root both use) leaves them alone: it kills and counts only her own, says how many it
# left, exits 0, and does not wait for what it cannot kill.
. "$TESTS_DIR/lock_lib.sh"

[ "$(id -u)" = 0 ] || skip "not root: no second user to try it with"
[ -n "$LOCK_CG_ROOT" ] || skip "the runs of this world go to systemd scopes (no shared cgroup root)"
alice=$(awk -F: '$3 >= 1000 && $3 < 60000 { print $3; exit }' /etc/passwd)
alice=${alice:-65534}
mkdir -m 700 "$W/alice-state"
chown "$alice" "$W/alice-state"

sv_bg roots -- "${HOLD[@]}" "$W/r"
wait_for_file "$W/r.in"
setpriv --reuid="$alice" --regid="$alice" --clear-groups env SUPERVISE_STATE_DIR="$W/alice-state" \
    "$S" kill-all >"$W/ka.out" 2>"$W/ka.err"
rc=$?
assert_eq 0 "$rc" "exit status of alice's kill-all: $(cat "$W/ka.err")"
assert_contains "$(cat "$W/ka.err")" "killed 0 runs" "alice's report"
assert_contains "$(cat "$W/ka.err")" "left 1 run of other users alone" "alice's report"
ours_alive "$(cat "$W/r.in")" || fail "alice's kill-all killed root's run"
release r
sv_wait roots
assert_eq 0 "$RC" "exit status of root's run"
