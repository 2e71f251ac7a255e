#!/bin/bash
# World (a), systemd system manager on the hybrid layout: systemd as PID 1 of a booted
# systemd-nspawn container over the host's /usr (volatile root), with D-Bus. The source
# and build trees are bind-mounted at the same paths; the container's v1 memory, pids and
# cpu hierarchies are made writable so its scopes get real limits. The container lives in
# fresh children of our own cgroups, removed afterwards. The tests run inside all of the
# container's namespaces (nsenter), with the systemd driver on the system bus.
. "$(dirname "$(readlink -f "$0")")/common.sh"

EXPECT_DRIVER=systemd
need_packages systemd systemd-container dbus
command -v systemd-nspawn >/dev/null || world_skip "systemd-nspawn not found"
name=sv-world-$$
state=$(handover_dir)
cgroups=()
nspawn=
leader=

stop_container() {
    set +e
    stop_bounded
    if [ -n "$nspawn" ]; then
        kill -TERM "$nspawn" 2>/dev/null   # nspawn asks the container's systemd to power off
        for _ in $(seq 100); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$nspawn" 2>/dev/null
        wait "$nspawn" 2>/dev/null
    fi
    local d
    for ((i = ${#cgroups[@]} - 1; i >= 0; i--)); do
        d=${cgroups[i]}
        [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    rm -rf "$state"
}
trap stop_container EXIT
trap 'exit 130' INT TERM HUP

# fresh children of our own cgroups, in every hierarchy: the container's cgroup tree
while IFS=: read -r _ ctrl path; do
    if [ -z "$ctrl" ]; then base=/sys/fs/cgroup/unified; else base=/sys/fs/cgroup/${ctrl#name=}; fi
    [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && [ -z "$ctrl" ] && base=/sys/fs/cgroup
    [ -d "$base" ] || continue
    [ "$path" = / ] && path=
    echo "$base$path/$name"
done </proc/self/cgroup >"$state/cgroups"
mapfile -t cgroups <"$state/cgroups"

# the volatile root has the host's /usr but an empty /etc: /usr/bin/awk & co. need
# /etc/alternatives
binds=("--bind=$SOURCE" --bind-ro=/etc/alternatives)
case "$BUILD/" in "$SOURCE"/*) ;; *) binds+=("--bind=$BUILD") ;; esac
(
    for d in "${cgroups[@]}"; do
        mkdir -p "$d"
        if [ -f "$d/cpuset.cpus" ] && [ -z "$(cat "$d/cpuset.cpus")" ]; then
            cat "$(dirname "$d")/cpuset.cpus" >"$d/cpuset.cpus"
            cat "$(dirname "$d")/cpuset.mems" >"$d/cpuset.mems"
        fi
        echo "$BASHPID" >"$d/cgroup.procs"
    done
    exec systemd-nspawn --quiet --volatile=yes -D / --register=no --keep-unit \
        --machine="$name" "${binds[@]}" \
        /bin/sh -c 'for c in memory pids cpu cpuacct cpu,cpuacct; do
                        [ -d /sys/fs/cgroup/$c ] && mount -o remount,bind,rw /sys/fs/cgroup/$c 2>/dev/null; done
                    exec /lib/systemd/systemd systemd.firstboot=off systemd.unit=multi-user.target'
) </dev/null >"$state/console.log" 2>&1 &
nspawn=$!
for _ in $(seq 100); do
    leader=$(pgrep -P "$nspawn" -x systemd || true)
    [ -n "$leader" ] && break
    kill -0 "$nspawn" 2>/dev/null || break
    sleep 0.1
done
[ -n "$leader" ] || world_fail "systemd-nspawn did not start a systemd: $(tail -20 "$state/console.log")"
st=
for _ in $(seq 600); do
    st=$(nsenter -t "$leader" -a systemctl is-system-running 2>/dev/null || true)
    case "$st" in running|degraded) break ;; esac
    sleep 0.1
done
case "$st" in running|degraded) ;; *)
    world_fail "the container's systemd did not finish booting (state: ${st:-none}): $(tail -20 "$state/console.log")" ;;
esac
say "container booted in $(elapsed) s (systemd $(nsenter -t "$leader" -a systemctl show -P Version), state $st); tests expect driver $EXPECT_DRIVER"
rc=0
[ -n "${WORLD_DEBUG:-}" ] && nsenter -t "$leader" -a bash -c "$WORLD_DEBUG"
# (the container sees the source and build trees, not the hand-over directory)
run_bounded nsenter -t "$leader" -a /bin/bash -c "$(world_script)" || rc=$?
finish "$rc"
