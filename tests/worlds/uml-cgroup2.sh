#!/bin/bash
# World (b), pure cgroup v2 without a service manager: a User-Mode Linux guest whose
# /sys/fs/cgroup is cgroup2 (nsdelegate) with memory, pids, cpu and io enabled for the
# root's children. Its root is the host's / (hostfs, read-write, same paths); /proc, /sys,
# /dev, /tmp and /run are its own. The integration tests run with the cgroup2 driver.
. "$(dirname "$(readlink -f "$0")")/common.sh"
. "$(dirname "$(readlink -f "$0")")/uml.sh"

EXPECT_DRIVER=cgroup2
work=$(handover_dir)
trap '_uml_reap; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP

{ uml_env_file; world_env | sed 's/^/export /'; } >"$work/env"
inner_ctest >"$work/cmd"
cat >"$work/init" <<INIT
#!/bin/bash
# PID 1 of the guest: its own API filesystems first (until /sys is the guest's, the
# hostfs shows the host's /sys/fs/cgroup), then the tests, then power off.
w=$work
fatal() { echo "uml-cgroup2 init: \$*" >/dev/tty2; echo 255 >"\$w/rc"; sync; echo o >/proc/sysrq-trigger; sleep 30; }
mount -t proc proc /proc || fatal "mount /proc"
: >"\$w/booted"
mount -t sysfs sysfs /sys || fatal "mount /sys"
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev || fatal "mount /dev"
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts || true
mount -t tmpfs -o mode=1777 tmpfs /dev/shm || true
mount -t tmpfs -o mode=1777 tmpfs /tmp || fatal "mount /tmp"
mount -t tmpfs -o mode=755 tmpfs /run || fatal "mount /run"
mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup 2>/dev/null ||
    mount -t cgroup2 cgroup2 /sys/fs/cgroup || fatal "mount cgroup2"
echo "+memory +pids +cpu +io" >/sys/fs/cgroup/cgroup.subtree_control || fatal "enable controllers"
hostname uml 2>/dev/null || true
ip link set lo up 2>/dev/null || true
stty -F /dev/tty1 raw -echo 2>/dev/null || true
stty -F /dev/tty2 raw -echo 2>/dev/null || true
mkfifo /run/.o /run/.e
cat /run/.o >/dev/tty1 & po=\$!
cat /run/.e >/dev/tty2 & pe=\$!
. "\$w/env"
cd "$SOURCE" || fatal "cd $SOURCE"
{
    echo "world $WORLD: kernel \$(uname -r), \$(stat -f -c %T /sys/fs/cgroup), controllers: \$(cat /sys/fs/cgroup/cgroup.subtree_control)" >&2
    bash -c "\$(cat "\$w/cmd")"
} </dev/null >/run/.o 2>/run/.e
rc=\$?
wait \$po \$pe
echo \$rc >"\$w/rc"
sync
echo o >/proc/sysrq-trigger
sleep 30
INIT
chmod +x "$work/init"
say "booting User-Mode Linux (pure cgroup v2), tests expect driver $EXPECT_DRIVER"
rc=0
uml_boot "$work" "$work/init" rw quiet || rc=$?
finish "$rc"
