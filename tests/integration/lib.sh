# Helpers for the integration tests. Each t_*.sh sources this file first:
#   . "$TESTS_DIR/lib.sh"
# It gives the test a scratch directory ($W), a token that marks every process the test
# starts (TEST_TOKEN in their environment), `run` to call supervise, assertions, and an
# EXIT trap that kills whatever the test left behind and fails the test if supervise left
# a process or a cgroup behind.
#
# Environment: SUPERVISE (the binary), TESTS_DIR (this directory), and from the world
# runners SUPERVISE_EXPECT_DRIVER (hybrid, cgroup2 or systemd) plus the SUPERVISE_*
# defaults (SUPERVISE_DRIVER, SUPERVISE_SYSTEMD_MANAGER) the world wants.

set -u
TEST_NAME=$(basename "$0" .sh)
: "${SUPERVISE:?SUPERVISE must name the supervise binary}"
: "${TESTS_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
export TESTS_DIR
[ -x "$SUPERVISE" ] || { echo "FAIL: $TEST_NAME: $SUPERVISE is not executable" >&2; exit 1; }

# python3 from the system (a pyenv shim is not visible in every world)
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

TEST_TOKEN="sv-it-$$-$RANDOM$RANDOM"
export TEST_TOKEN
# this shell was exec'd before the export, so only what it starts carries the token
W=$(mktemp -d "${TMPDIR:-/tmp}/supervise-it.XXXXXX")
chmod 755 "$W"
SUP_PIDS=()      # every supervise process this test started (their cgroups carry the pid)
_failed=0

fail() {
    _failed=1
    echo "FAIL: $TEST_NAME: $*" >&2
    exit 1
}
# A world that cannot do what the test needs: exit 77 (ctest: skipped), loudly. Where the
# world runner says every test must run (SUPERVISE_FORBID_SKIP), a skip is a failure.
skip() {
    [ -z "${SUPERVISE_FORBID_SKIP:-}" ] || fail "would skip, but this world must run it: $*"
    echo "SKIP: $TEST_NAME: $*" >&2
    _skipped=1
    exit 77
}
note() { echo "# $*" >&2; }

assert_eq() {  # expected actual what
    [ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'$(_last_run)"
}
assert_contains() {  # haystack needle what
    case "$1" in *"$2"*) ;; *) fail "$3: '$2' not in: $1$(_last_run)" ;; esac
}
assert_not_contains() {  # haystack needle what
    case "$1" in *"$2"*) fail "$3: '$2' unexpectedly in: $1$(_last_run)" ;; esac
}
assert_match() {  # text extended-regex what
    [[ $1 =~ $2 ]] || fail "$3: '$1' does not match /$2/$(_last_run)"
}
assert_status() {  # expected (uses RC from the last run)
    [ "$RC" = "$1" ] || fail "exit status of 'supervise ${LAST_ARGS[*]}': expected $1, got $RC$(_last_run)"
}
# Numeric comparison (floats; A and B may be arithmetic expressions): assert_cmp A '<=' B what
assert_cmp() {
    awk "BEGIN{exit !(($1) $2 ($3))}" </dev/null || fail "$4: expected $1 $2 $3"
}
_last_run() {
    [ -n "${LAST_ARGS+set}" ] || return 0
    printf '\n--- supervise %s\n--- exit %s\n--- stdout:\n%s\n--- stderr:\n%s' \
        "${LAST_ARGS[*]}" "${RC:-?}" "$(head -c 3000 "$W/out" 2>/dev/null)" "$(head -c 3000 "$W/err" 2>/dev/null)"
}

# run ARGS... : supervise ARGS with stdin from /dev/null; sets RC, OUT, ERR (also in $W/out,
# $W/err) and ELAPSED (seconds). A supervise that hangs for RUN_LIMIT seconds (default 60)
# is killed and fails the test.
run() {
    LAST_ARGS=("$@")
    local t0 t1 w done_pid=
    t0=$(date +%s.%N)
    "$SUPERVISE" "$@" </dev/null >"$W/out" 2>"$W/err" &
    SPID=$!
    SUP_PIDS+=("$SPID")
    sleep "${RUN_LIMIT:-60}" &
    w=$!
    wait -n -p done_pid "$SPID" "$w"
    RC=$?
    if [ "$done_pid" = "$w" ]; then
        kill -KILL "$SPID" 2>/dev/null
        wait "$SPID" 2>/dev/null
        fail "supervise ${LAST_ARGS[*]} did not finish within ${RUN_LIMIT:-60} s"
    fi
    kill -KILL "$w" 2>/dev/null  # TERM can be lost between its fork and exec
    wait "$w" 2>/dev/null
    t1=$(date +%s.%N)
    ELAPSED=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}')
    OUT=$(cat "$W/out")
    ERR=$(cat "$W/err")
    return 0
}

# start_bg ARGS... : supervise ARGS in the background (SPID); finish with wait_bg.
start_bg() {
    LAST_ARGS=("$@")
    "$SUPERVISE" "$@" </dev/null >"$W/out" 2>"$W/err" &
    SPID=$!
    SUP_PIDS+=("$SPID")
}
wait_bg() {
    local w done_pid=
    sleep "${RUN_LIMIT:-60}" &
    w=$!
    wait -n -p done_pid "$SPID" "$w"
    RC=$?
    if [ "$done_pid" = "$w" ]; then
        kill -KILL "$SPID" 2>/dev/null
        fail "supervise ${LAST_ARGS[*]} did not finish within ${RUN_LIMIT:-60} s"
    fi
    kill -KILL "$w" 2>/dev/null  # TERM can be lost between its fork and exec
    wait "$w" 2>/dev/null
    OUT=$(cat "$W/out")
    ERR=$(cat "$W/err")
}

# wait_for_file FILE [SECONDS]: until FILE exists and is not empty
wait_for_file() {
    local i n=$(( ${2:-10} * 20 ))
    for ((i = 0; i < n; i++)); do
        [ -s "$1" ] && return 0
        sleep 0.05
    done
    fail "timed out waiting for $1$(_last_run)"
}

# json FIELD [FILE]: a field of the JSON object in FILE (default: the last run's stdout,
# which must hold only that object); strings raw, null as "null", booleans as true/false;
# a.b is field b of the object in field a.
json() {
    local f=${2:-$W/out}
    "$PY" - "$1" "$f" <<'EOF' || fail "stdout is not one JSON object with field '$1'$(_last_run)"
import json, sys
with open(sys.argv[2]) as f:
    obj = json.load(f)
v = obj
for key in sys.argv[1].split("."):  # a.b: field b of object a
    v = v[key]
print(v if isinstance(v, str) else json.dumps(v))
EOF
}

# Checks the driver reported in the JSON result against the world's expectation.
expect_driver() {  # driver
    if [ -n "${SUPERVISE_EXPECT_DRIVER:-}" ]; then
        assert_eq "$SUPERVISE_EXPECT_DRIVER" "$1" "driver in the JSON result"
    fi
}

# --- cgroups -----------------------------------------------------------------------------
# Directories named supervise* or run-* anywhere under /sys/fs/cgroup.
cgroup_dirs() {
    find /sys/fs/cgroup -mindepth 1 -type d \( -name 'supervise*' -o -name 'run-*' -o -name '*-run-*.scope' \) \
        2>/dev/null | sort
}
_cg_before=$(cgroup_dirs)

# Cgroups this test's supervise runs left: a run-<pid>-* or supervise-run-<pid>-*.scope of
# one of our supervise pids, or a supervise parent (direct drivers) that did not exist
# before the test and holds no run (another test's runs may share the parent). systemd's
# supervise.slice is not ours to remove: the manager keeps a slice until it is stopped.
leftover_cgroups() {
    local d base pid new
    new=$(comm -13 <(echo "$_cg_before") <(cgroup_dirs))
    for d in $new; do
        [ -d "$d" ] || continue
        base=${d##*/}
        case "$base" in
        run-*|supervise-run-*)
            pid=${base#supervise-}; pid=${pid#run-}; pid=${pid%%-*}
            for p in "${SUP_PIDS[@]}"; do [ "$p" = "$pid" ] && echo "$d"; done
            ;;
        supervise)
            if [ -z "$(find "$d" -mindepth 1 -type d 2>/dev/null | head -1)" ]; then
                sleep 0.5   # another test's run may be about to remove it
                [ -d "$d" ] && [ -z "$(find "$d" -mindepth 1 -type d 2>/dev/null | head -1)" ] && echo "$d"
            fi
            ;;
        esac
    done
}

# --- processes ---------------------------------------------------------------------------
# Pids of live processes carrying this test's token (not zombies: those are dead).
our_procs() {
    local p st
    for p in $(env -u TEST_TOKEN grep -l -s -F -a "TEST_TOKEN=$TEST_TOKEN" /proc/[0-9]*/environ 2>/dev/null |
        cut -d/ -f3); do
        [ "$p" = "$$" ] && continue
        st=$(awk '/^State:/{print $2}' "/proc/$p/status" 2>/dev/null) || continue
        [ -n "$st" ] && [ "$st" != Z ] && echo "$p"
    done
}
# our_procs minus this shell's own children that are not supervise runs (sleep watchdogs)
_strays() {
    local p ppid
    for p in $(our_procs); do
        ppid=$(awk '/^PPid:/{print $2}' "/proc/$p/status" 2>/dev/null)
        [ "$ppid" = "$$" ] && continue   # our own helpers (jobs of this shell)
        echo "$p"
    done
}

# Asserts that nothing this test started survives and that no cgroup was left behind.
no_leftovers() {
    local strays cgs i
    # processes: give a just-killed tree a moment to be reaped
    for ((i = 0; i < 20; i++)); do
        strays=$(_strays)
        [ -z "$strays" ] && break
        sleep 0.1
    done
    if [ -n "$strays" ]; then
        fail "processes survived the run: $(for p in $strays; do printf '\n  %s %s' "$p" "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"; done)"
    fi
    cgs=$(leftover_cgroups)
    [ -z "$cgs" ] || fail "cgroups left behind: $cgs"
}

# Kills every process carrying our token (only ours), repeatedly: forks may race us.
kill_our_procs() {
    local i p
    for ((i = 0; i < 50; i++)); do
        p=$(our_procs)
        [ -z "$p" ] && return 0
        kill -KILL $p 2>/dev/null
        sleep 0.1
    done
}

_cleanup() {
    local rc=$? p i d
    # a subshell that caught a signal before it could reset our traps is not the test
    [ "$BASHPID" = "$$" ] || exit "$rc"
    trap - EXIT
    for p in "${SUP_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    local strays_at_exit
    strays_at_exit=$(_strays)
    if [ "$rc" = 0 ]; then
        # the test passed: leftovers are a failure of their own
        (no_leftovers) || rc=1
    fi
    kill_our_procs
    jobs -p | xargs -r kill 2>/dev/null
    # cgroups that our own supervise runs created and left: remove them (deepest first)
    for d in $(leftover_cgroups | sort -r); do
        case "$d" in
        *.scope) systemctl ${SUPERVISE_SYSTEMD_MANAGER:+--$SUPERVISE_SYSTEMD_MANAGER} stop "${d##*/}" >/dev/null 2>&1 ;;
        esac
        find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    rm -rf "$W"
    [ -n "$strays_at_exit" ] && [ "$rc" != 0 ] && [ "$rc" != 77 ] && note "killed leftover processes: $strays_at_exit"
    [ "$rc" = 0 ] && echo "PASS: $TEST_NAME"
    exit "$rc"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- what the command sees ---------------------------------------------------------------
# A command that prints its cgroup limits, one "key value" per line (see cgroup_limits.sh).
LIMITS_CMD=(bash "$TESTS_DIR/cgroup_limits.sh")

# limit KEY: a value from the last run's stdout as printed by cgroup_limits.sh
limit() {
    awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; found = 1 } END { exit !found }' "$W/out" ||
        fail "cgroup_limits.sh printed no '$1'$(_last_run)"
}

MiB=$((1024 * 1024))

# skip_if_unenforceable WHAT: after a run, skip (loudly) when supervise refused with 125
# because this world cannot enforce WHAT (it must say so; a limit silently not applied is
# a failure of the test that reads the limit back).
skip_if_unenforceable() {
    if [ "$RC" = 125 ] && [[ $ERR == *"cannot enforce"* || $ERR == *"$1"*"not supported"* ]]; then
        skip "this world cannot enforce $1: $ERR"
    fi
}

# tasks_max_for N: what pids.max holds after --tasks N, read from the last run's output. The
# systemd driver keeps one helper process (the keeper, which holds the scope until supervise
# has read its accounting) in the scope, so TasksMax is N+1 there: the command still gets N.
tasks_max_for() {
    if [[ $(limit unified_dir) == *.scope ]]; then echo $(($1 + 1)); else echo "$1"; fi
}

# --- background runs (the lock and task tests) -----------------------------------------
# sv_bg NAME ARGS... : supervise ARGS in the background; its stdout/stderr go to
# $W/NAME.out/.err, its pid to BG_PID[NAME] (and SUP_PIDS). sv_wait NAME sets RC.
declare -A BG_PID=()
sv_bg() {
    local name=$1
    shift
    "$SUPERVISE" "$@" </dev/null >"$W/$name.out" 2>"$W/$name.err" &
    BG_PID[$name]=$!
    SUP_PIDS+=("$!")
}
# sv_wait NAME [SECONDS]: waits for it (default limit 30 s, then kills it and fails).
# (Not `wait -n`: bash forgets a background job that ended before a later foreground
# command, and `wait -n` then ignores it.)
sv_wait() {
    local name=$1 limit=${2:-30} pid=${BG_PID[$1]} i
    for ((i = 0; i < limit * 50; i++)); do
        if ! _our_child_running "$pid"; then
            wait "$pid"
            RC=$?
            return 0
        fi
        sleep 0.02
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    fail "supervise $name did not finish within $limit s: $(cat "$W/$name.err" 2>/dev/null)"
}
# Is PID a child of this shell that has not ended?
_our_child_running() {
    local stat
    read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
    set -- ${stat##*) }
    [ "$1" != Z ] && [ "$2" = "$$" ]
}
# bg_err NAME / bg_out NAME: what it printed
bg_err() { cat "$W/$1.err" 2>/dev/null; }
bg_out() { cat "$W/$1.out" 2>/dev/null; }

# until_true SECONDS COMMAND...: polls COMMAND every 20 ms; false when it never succeeded.
until_true() {
    local n i
    n=$(awk -v s="$1" 'BEGIN { printf "%d", s * 50 }')
    shift
    for ((i = 0; i < n; i++)); do
        "$@" && return 0
        sleep 0.02
    done
    return 1
}

# Rewrites a key of a record (owner or task) atomically (the way supervise writes them).
edit_record() {  # FILE KEY VALUE
    local tmp
    tmp=$(dirname "$1")/edit.$$.tmp
    awk -v k="$2" -v v="$3" -F= 'BEGIN{OFS="="} $1 == k {$0 = k "=" v} {print}' "$1" >"$tmp" && mv -f "$tmp" "$1"
}
