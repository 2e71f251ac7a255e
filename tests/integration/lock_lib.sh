# Helpers for the lock integration tests (t_lock_*.sh), on top of lib.sh. Each of them
# sources this file instead of lib.sh:
#   . "$TESTS_DIR/lock_lib.sh"
# It adds:
#   - a private lock state directory (SUPERVISE_STATE_DIR, exported);
#   - for the direct drivers, a private cgroup root (SUPERVISE_CGROUP_ROOT, exported) so
#     that `supervise kill-all` and the leftover checks see only this test's runs and never
#     another test's or user's (kill-all kills every run under the root it is given);
#   - sv_bg/sv_wait to run many supervise processes at once, each with its own output;
#   - lock_leftovers (cgroups of this test's lock runs still present) and a cleanup that
#     kills whatever the test started and removes the private cgroup root, even on failure.

. "$TESTS_DIR/lib.sh"

S=$SUPERVISE
LOCK_STATE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/supervise-lock-state.XXXXXX")
export SUPERVISE_STATE_DIR=$LOCK_STATE_DIR

# The world: which driver runs get, and where cgroup v2 is mounted.
_doctor=$("$S" doctor --json 2>/dev/null)
_doctor_field() { printf '%s' "$_doctor" | "$PY" -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1]) or "")' "$1" 2>/dev/null; }
LOCK_DRIVER=${SUPERVISE_DRIVER:-auto}
[ "$LOCK_DRIVER" = auto ] && LOCK_DRIVER=$(_doctor_field auto)
V2_MOUNT=$(_doctor_field unified_mount)
[ -n "$LOCK_DRIVER" ] || skip "supervise doctor finds no usable cgroup driver here"

# A cgroup of our own to hold this test's runs (direct drivers only: systemd puts runs in
# scopes of its own slice, and the worlds that use it are private machines).
LOCK_CG_ROOT=
if [ "$LOCK_DRIVER" != systemd ] && [ -n "$V2_MOUNT" ]; then
    _own=$(sed -n 's/^0:://p' /proc/self/cgroup)
    LOCK_CG_ROOT=${V2_MOUNT}${_own%/}/sv-lock-it-$TEST_TOKEN
    mkdir "$LOCK_CG_ROOT" 2>/dev/null || skip "cannot create a private cgroup $LOCK_CG_ROOT"
    export SUPERVISE_CGROUP_ROOT=$LOCK_CG_ROOT
fi
# Where this test's runs live: the direct drivers' parent, or systemd's scopes anywhere.
RUNS_PARENT=${LOCK_CG_ROOT:+$LOCK_CG_ROOT/supervise}

# The unit's cgroup directories of this test's lock runs (v2 and v1 twins): their names
# are lock-<hash>-s<slot>-<supervise pid>-<ms>, and every supervise we start is in SUP_PIDS.
lock_leftovers() {
    local d leaf pid p
    while IFS= read -r d; do
        [ -n "$d" ] && [ -d "$d" ] || continue
        leaf=${d##*/}
        leaf=${leaf#supervise-}
        pid=${leaf#lock-*-s*-}
        pid=${pid%%-*}
        for p in "${SUP_PIDS[@]}"; do [ "$p" = "$pid" ] && echo "$d"; done
    done < <(find /sys/fs/cgroup -mindepth 1 -type d -name '*lock-*-s*-*' 2>/dev/null)
    # and anything at all left in our private root
    [ -n "$LOCK_CG_ROOT" ] && [ -d "$LOCK_CG_ROOT" ] &&
        find "$LOCK_CG_ROOT" -mindepth 1 -type d 2>/dev/null
    return 0
}
assert_no_lock_leftovers() {
    local left
    left=$(lock_leftovers | sort -u)
    [ -z "$left" ] || fail "cgroups left behind: $left"
}


# lock_free NAME / lock_busy NAME: `supervise check` says so (stderr to $W/check.err)
lock_free() { "$S" check "$@" 2>"$W/check.err"; }
lock_busy() { "$S" check "$@" 2>"$W/check.err"; [ $? = 1 ]; }

# holders NAME / waiters NAME: counts from `supervise list NAME --json`
holders() { "$S" list "$1" --json | "$PY" -c 'import json,sys; p=json.load(sys.stdin); print(len(p[0]["holders"]) if p else 0)'; }
waiters() { "$S" list "$1" --json | "$PY" -c 'import json,sys; p=json.load(sys.stdin); print(len(p[0]["waiters"]) if p else 0)'; }
has_holders() { [ "$(holders "$1")" = "$2" ]; }
has_waiters() { [ "$(waiters "$1")" = "$2" ]; }

# A command that holds its lock until the test says: `"${HOLD[@]}" "$W/KEY"` writes its pid
# to $W/KEY.in and returns once `release KEY` has created $W/KEY.stop.
HOLD=(sh -c 'echo $$ >"$0.in"; while [ ! -e "$0.stop" ]; do sleep 0.02; done')
release() { : >"$W/$1.stop"; }

# Is PID a live (non-zombie) process that this test started?
ours_alive() {
    local st
    grep -qaF "TEST_TOKEN=$TEST_TOKEN" "/proc/$1/environ" 2>/dev/null || return 1
    st=$(awk '/^State:/{print $2}' "/proc/$1/status" 2>/dev/null)
    [ -n "$st" ] && [ "$st" != Z ]
}

record_file() {  # NAME SLOT: the owner record of a (plainly named) lock
    echo "$SUPERVISE_STATE_DIR/locks/$1/slot-${2:-0}"
}

_lock_cleanup() {
    local rc=$? p i d
    [ "$BASHPID" = "$$" ] || exit "$rc"
    trap - EXIT
    if [ "$rc" = 0 ]; then
        # the test passed: leftovers are a failure of their own
        (assert_no_lock_leftovers) || rc=1
        [ "$rc" = 0 ] && { (no_leftovers) || rc=1; }
    fi
    for p in "${SUP_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    # everything in our private root is ours; then whatever else carries our token
    if [ -n "$LOCK_CG_ROOT" ] && [ -d "$LOCK_CG_ROOT" ]; then
        echo 1 >"$LOCK_CG_ROOT/cgroup.kill" 2>/dev/null
    fi
    kill_our_procs
    for d in $(lock_leftovers | sort -u -r); do
        find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    [ -n "$LOCK_CG_ROOT" ] && find "$LOCK_CG_ROOT" -depth -type d -exec rmdir {} \; 2>/dev/null
    rm -rf "$LOCK_STATE_DIR"
    (exit "$rc")
    _cleanup
}
trap _lock_cleanup EXIT
