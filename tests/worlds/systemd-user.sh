#!/bin/bash
# World (a'), systemd user manager on the host: a real `systemd --user` (as root) in the
# host's PID namespace, so the tests' processes talk to it directly over D-Bus
# (SUPERVISE_SYSTEMD_MANAGER=user). For hosts where PID 1 is not systemd and the layout is
# hybrid (cgroup2 at /sys/fs/cgroup/unified, memory on v1):
#  - the manager runs in a private mount namespace where /run/systemd/system exists
#    (systemd --user refuses to start otherwise) and /sys/fs/cgroup holds only the
#    unified, memory and name=systemd hierarchies;
#  - it lives in fresh children M/NAME of our own memory cgroup M, mirrored at the same
#    path in the unified and name=systemd hierarchies, so its scopes get real v1 memory
#    cgroups (MemoryMax=) inside ours;
#  - its bus is a dbus-daemon it starts itself (dbus.socket) at $XDG_RUNTIME_DIR/bus.
. "$(dirname "$(readlink -f "$0")")/common.sh"

EXPECT_DRIVER=systemd
need_packages systemd dbus dbus-user-session
[ -x /lib/systemd/systemd ] || world_skip "systemd is not installed"
M=$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)
[ -n "$M" ] || world_skip "no v1 memory controller in /proc/self/cgroup (this world is for hybrid hosts)"
[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] ||
    world_skip "/sys/fs/cgroup/unified is not cgroup2 (not a hybrid host)"
[ "$M" = / ] && M=
name=sv-user-$$
rt=/run/$name
state=$(handover_dir)
cgroups=() parents=()
manager=

client_env() {
    echo "XDG_RUNTIME_DIR=$rt"
    echo "DBUS_SESSION_BUS_ADDRESS=unix:path=$rt/bus"
}

stop_manager() {
    set +e
    stop_bounded
    if [ -n "$manager" ] && kill -0 "$manager" 2>/dev/null; then
        XDG_RUNTIME_DIR=$rt timeout 10 systemctl --user exit >/dev/null 2>&1 || kill -TERM "$manager" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$manager" 2>/dev/null || break; sleep 0.1; done
    fi
    # whatever is left in our cgroups (the manager, scopes that outlived it): kill it
    local d
    kill_cgroup_tree "/sys/fs/cgroup/unified$M/$name"
    for d in "${cgroups[@]}"; do
        [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    for ((i = ${#parents[@]} - 1; i >= 0; i--)); do   # mirrors of our memory cgroup path we made
        rmdir "${parents[i]}" 2>/dev/null
    done
    rm -rf "$rt" "$state"
}
trap stop_manager EXIT
trap 'exit 130' INT TERM HUP

for h in memory unified systemd; do
    [ -d "/sys/fs/cgroup/$h" ] || world_skip "/sys/fs/cgroup/$h is missing"
    d=/sys/fs/cgroup/$h
    for c in ${M//\// }; do   # each level we create is ours to remove, and only those
        d=$d/$c
        [ -d "$d" ] || { mkdir "$d" && parents+=("$d"); }
    done
    mkdir -p "/sys/fs/cgroup/$h$M/$name"
    cgroups+=("/sys/fs/cgroup/$h$M/$name")
done
mkdir -p -m 700 "$rt/systemd/user"
# a target that pulls in only the bus (not gpg-agent & co. from /etc/systemd/user)
cat >"$rt/systemd/user/sv-world.target" <<'UNIT'
[Unit]
Description=supervise test world: user manager with its bus
Requires=dbus.socket
After=dbus.socket
UNIT
setsid unshare --mount --propagation private -- /bin/bash -c '
    set -e
    M=$1 name=$2 rt=$3
    for h in memory unified systemd; do echo $$ >/sys/fs/cgroup/$h$M/$name/cgroup.procs; done
    mount -t tmpfs -o mode=755 tmpfs /run/systemd
    mkdir -p /run/systemd/system
    stage=$(mktemp -d /run/systemd/cg.XXXXXX)
    mount -t tmpfs -o mode=755 tmpfs "$stage"
    for h in memory unified systemd; do mkdir "$stage/$h"; mount --bind /sys/fs/cgroup/$h "$stage/$h"; done
    mount --move "$stage" /sys/fs/cgroup
    : >"$4"; mount --bind "$4" /dev/console   # systemd --user logs to the console
    export XDG_RUNTIME_DIR=$rt HOME=/root USER=root LOGNAME=root
    unset DBUS_SESSION_BUS_ADDRESS DBUS_SYSTEM_BUS_ADDRESS
    exec /lib/systemd/systemd --user --unit=sv-world.target --log-target=console
' sv-user "$M" "$name" "$rt" "$state/console.log" </dev/null >"$state/manager.log" 2>&1 &
manager=$!
st=
for _ in $(seq 300); do
    kill -0 "$manager" 2>/dev/null || world_fail "systemd --user exited during start-up: $(tail -20 "$state/manager.log" "$state/console.log")"
    st=$(XDG_RUNTIME_DIR=$rt systemctl --user show -P SystemState 2>/dev/null || true)
    case "$st" in running|degraded) [ -S "$rt/bus" ] && break ;; esac
    sleep 0.1
done
case "$st" in running|degraded) ;; *)
    world_fail "systemd --user not ready after 30 s (state: ${st:-none}): $(tail -20 "$state/manager.log" "$state/console.log")" ;;
esac
# dbus-daemon is socket-activated: wake it so the first test does not race its start
env $(client_env) busctl --user status >/dev/null 2>&1 || true
say "user manager up in $(elapsed) s (systemd $(XDG_RUNTIME_DIR=$rt systemctl --user show -P Version)); tests expect driver $EXPECT_DRIVER"
rc=0
# SUPERVISE_SYSTEMD_MANAGER=user names a running manager: --driver auto takes it
export $(client_env) SUPERVISE_SYSTEMD_MANAGER=user
run_bounded bash -c "$(world_script)" || rc=$?
finish "$rc"
