# User-Mode Linux boot, shared by uml-cgroup2.sh and uml-systemd.sh (sourced after
# common.sh). uml_boot WORK INIT KERNEL_ARGS... boots linux.uml with the host's / as root
# (hostfs), INIT as the guest's first process, the guest's tty1/tty2 on our stdout/stderr,
# and returns the status the guest wrote to WORK/rc (124: the guest hung, 255: it never
# wrote one). The guest's code touches WORK/booted as soon as it runs; a guest that never
# does is a world that cannot start here (a loud skip, exit 77). The guest has 1 CPU and UML_MEM (default 1G) of memory.

need_packages user-mode-linux
command -v linux.uml >/dev/null || world_skip "linux.uml not found after installing user-mode-linux"

_uml_pid= _uml_watchdog=
# SIGKILL the guest's process group (linux.uml runs one host process per guest process)
_uml_reap() {
    [ -n "$_uml_pid" ] || return 0
    { kill -KILL -- "-$_uml_pid"; wait "$_uml_pid"; } 2>/dev/null || true
    for _ in $(seq 100); do pgrep -g "$_uml_pid" >/dev/null 2>&1 || break; sleep 0.1; done
    _uml_pid=
    if [ -n "$_uml_watchdog" ]; then
        kill "$_uml_watchdog" 2>/dev/null || true
        wait "$_uml_watchdog" 2>/dev/null || true
        _uml_watchdog=
    fi
}

# Dumps the guest's environment for the command: the caller's exported variables minus
# those that belong to this process or this session.
uml_env_file() {
    export -p | grep -v -E '^declare -x (BASH_[A-Z_]*|SHLVL|PWD|OLDPWD|_|TMPDIR|INVOCATION_ID|JOURNAL_STREAM|NOTIFY_SOCKET|WATCHDOG_[A-Z]*|LISTEN_[A-Z]*|SYSTEMD_[A-Z_]*|DBUS_[A-Z_]*|XDG_[A-Z_]*|MANAGERPID|TERM)=' || true
}

uml_boot() {
    local work=$1 init=$2
    shift 2
    setsid linux.uml umid="sv-$WORLD-$$" uml_dir="$work/uml" mem="${UML_MEM:-1G}" \
        rootfstype=hostfs rootflags=/ init="$init" "$@" \
        con=null con0=null,fd:3 con1=null,fd:1 con2=null,fd:2 ssl=null \
        </dev/null 3>"$work/console" &
    _uml_pid=$!
    local group=$_uml_pid
    (
        trap 'kill "$sp" 2>/dev/null; wait "$sp" 2>/dev/null; exit 0' TERM
        sleep "$WORLD_TIMEOUT" & sp=$!
        wait "$sp" || exit 0
        echo timeout >"$work/timedout"
        kill -KILL -- "-$group" 2>/dev/null
    ) </dev/null >/dev/null 2>&1 &
    _uml_watchdog=$!
    wait "$_uml_pid" 2>/dev/null || true
    _uml_reap
    [ -n "${UML_KEEP_LOG:-}" ] && cp "$work/console" "$UML_KEEP_LOG"
    if [ -f "$work/timedout" ]; then
        say "the guest ran longer than $WORLD_TIMEOUT s; its console:"
        tail -40 "$work/console" >&2
        return 124
    fi
    if [ -s "$work/rc" ]; then
        return "$(cat "$work/rc")"
    fi
    if [ ! -e "$work/booted" ]; then
        # the guest never reached our code: this machine cannot run this world
        world_skip "the User-Mode Linux guest did not boot: $(grep -B1 -m1 'Kernel panic' "$work/console" | tr '\n' ' ' || true) (guest console: $(wc -l <"$work/console") lines; UML_KEEP_LOG=FILE keeps it)"
    fi
    say "the guest reported no status; its console:"
    tail -40 "$work/console" >&2
    return 255
}
