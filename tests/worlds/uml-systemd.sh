#!/bin/bash
# World (d), systemd system manager on pure cgroup v2 (the layout of current
# distributions): systemd boots as PID 1 of a User-Mode Linux guest, mounts cgroup2 itself,
# and once the boot has finished runs the integration tests as root in a service, with the
# systemd driver on the system bus.
# The guest's root is volatile: a tmpfs with the host's /usr (and /bin, /lib... or their
# merged-/usr links) read-only, an /etc of a few copied host files, empty /var, /run,
# /tmp. The host's / is read-only while that root is built. The only host directories the
# guest can write are the source and build trees (same paths) and the hand-over directory.
. "$(dirname "$(readlink -f "$0")")/common.sh"
. "$(dirname "$(readlink -f "$0")")/uml.sh"

EXPECT_DRIVER=systemd
need_packages systemd dbus
[ -x /lib/systemd/systemd ] && command -v dbus-daemon >/dev/null || world_skip "systemd or dbus-daemon missing"
work=$(handover_dir)
trap '_uml_reap; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP

# host directories shared read-write, parents first
{ echo "$SOURCE"; echo "$BUILD"; echo "$work"; } | sort -u |
    awk '{ print length($0) "\t" $0 }' | sort -n | cut -f2- >"$work/binds"
{ uml_env_file; world_env | sed 's/^/export /'; } >"$work/env"
inner_ctest >"$work/cmd"

# the guest's /etc and /var, copied onto its tmpfs root in one go
k=$work/skel s=$work/skel/etc/systemd/system
mkdir -p "$s" "$k/etc/tmpfiles.d" "$k/var"
for f in passwd group shadow ld.so.cache ld.so.conf ld.so.conf.d nsswitch.conf hosts localtime timezone; do
    [ -e "/etc/$f" ] && cp -a --parents "/etc/$f" "$k/"
done
ln -s ../usr/lib/os-release "$k/etc/os-release"
echo uml-systemd >"$k/etc/hostname"
# not a first boot, nothing to update (passwd, group and ld.so.cache are the host's)
date -r /usr +TIMESTAMP_NSEC=%s%N | tee "$k/etc/.updated" >"$k/var/.updated"
echo 'd /tmp 1777 root root -' >"$k/etc/tmpfiles.d/tmp.conf"
# systemd-tmpfiles must never touch what is shared with the host
excl=$(sed 's/^/--exclude-prefix=/' "$work/binds" | tr '\n' ' ')
for u in setup clean; do
    mkdir -p "$s/systemd-tmpfiles-$u.service.d"
    case $u in
    setup) args="--create --remove --boot --exclude-prefix=/dev" ;;
    clean) args="--clean" ;;
    esac
    printf '[Service]\nExecStart=\nExecStart=systemd-tmpfiles %s %s\n' "$args" "$excl" \
        >"$s/systemd-tmpfiles-$u.service.d/world.conf"
done
# nothing to do in this guest, and every unit costs time on UML's one slow CPU
for u in systemd-tmpfiles-clean.timer ldconfig.service modprobe@.service systemd-remount-fs.service \
    systemd-random-seed.service systemd-journal-flush.service systemd-update-utmp.service \
    systemd-update-utmp-runlevel.service systemd-journald-audit.socket proc-sys-fs-binfmt_misc.automount \
    systemd-firstboot.service systemd-sysusers.service; do
    ln -s /dev/null "$s/$u"
done
cat >"$s/sv-world.target" <<UNIT
[Unit]
Description=supervise test world: basic system, D-Bus, the tests
Requires=basic.target
Wants=dbus.socket dbus.service sv-world-tests.service
After=basic.target dbus.service
AllowIsolate=yes
UNIT
cat >"$s/sv-world-tests.service" <<UNIT
[Unit]
Description=supervise integration tests
Wants=dbus.service
After=basic.target dbus.service
[Service]
Type=simple
StandardInput=null
StandardOutput=journal+console
StandardError=journal+console
TasksMax=infinity
ExecStart=/bin/bash $work/runner
UNIT
for u in emergency rescue; do   # a failed boot reports 255 and powers off at once
    cat >"$s/$u.service" <<UNIT
[Unit]
Description=boot failed ($u)
DefaultDependencies=no
[Service]
Type=oneshot
StandardOutput=tty
StandardError=tty
TTYPath=/dev/tty2
ExecStart=/bin/bash -c 'echo "world $WORLD: boot failed, systemd entered $u mode; failed units:"; systemctl --failed --no-legend --no-pager; echo 255 >$work/rc; sync; systemctl poweroff -ff'
UNIT
done
for l in bin sbin lib lib32 lib64 libx32; do   # merged /usr: links, else read-only mounts
    if [ -L "/$l" ]; then echo "L $l $(readlink "/$l")"; elif [ -d "/$l" ]; then echo "D $l"; fi
done >"$work/toplevel"

# stage 1, the guest's first process on the host's / (read-only): build the volatile root
cat >"$work/init" <<'INIT'
#!/bin/bash
w=${0%/*}
fatal() {
    echo "world init: $*" >/dev/tty2; echo 255 >"$w/rc" 2>/dev/null; sync
    [ -e /proc/sysrq-trigger ] || mount -t proc proc /proc
    while :; do echo o >/proc/sysrq-trigger; sleep 1; done
}
mount -t proc proc /proc || fatal "mount /proc"
mount -n -t hostfs -o "$w" none "$w" || fatal "hostfs $w"
: >"$w/booted"
mount -n -t tmpfs -o mode=755 tmpfs /tmp || fatal "tmpfs /tmp"
n=/tmp/root
mkdir "$n" && mount -n -t tmpfs -o mode=755 tmpfs "$n" || fatal "tmpfs root"
mkdir -p "$n"/{usr,proc,sys,dev,run,tmp,var/tmp,root,home,mnt,srv,opt} || fatal "mkdir"
chmod 1777 "$n/tmp" "$n/var/tmp"
chmod 700 "$n/root"
while read -r t l d; do
    if [ "$t" = L ]; then ln -s "$d" "$n/$l"
    else mkdir "$n/$l" && mount -n -t hostfs -o "ro,/$l" none "$n/$l" || fatal "hostfs /$l"; fi
done <"$w/toplevel"
mount -n -t hostfs -o ro,/usr none "$n/usr" || fatal "hostfs /usr"
cp -a "$w/skel/." "$n/" || fatal "copy /etc"
if [ -d /etc/alternatives ]; then
    mkdir "$n/etc/alternatives" && mount -n -t hostfs -o ro,/etc/alternatives none "$n/etc/alternatives" ||
        fatal "hostfs /etc/alternatives"
fi
read -r id </proc/sys/kernel/random/uuid && echo "${id//-/}" >"$n/etc/machine-id"
while read -r b; do
    mkdir -p "$n$b" && mount -n -t hostfs -o "$b" none "$n$b" || fatal "hostfs $b"
done <"$w/binds"
cd "$n" || fatal "cd $n"
mount -n --move "$n" / || fatal "mount --move"
exec chroot . /lib/systemd/systemd
INIT
# stage 2, the tests' service, once the boot has finished
cat >"$work/runner" <<RUNNER
#!/bin/bash
w=$work
systemctl is-system-running --wait >/dev/null 2>&1
stty -F /dev/tty1 raw -echo 2>/dev/null || true
stty -F /dev/tty2 raw -echo 2>/dev/null || true
mkfifo /run/.o /run/.e
cat /run/.o >/dev/tty1 & po=\$!
cat /run/.e >/dev/tty2 & pe=\$!
(
    unset INVOCATION_ID JOURNAL_STREAM
    set -a; . "\$w/env"; set +a
    cd "$SOURCE" || exit 1
    echo "world $WORLD: systemd \$(systemctl show -P Version) as PID 1, state \$(systemctl is-system-running), \$(stat -f -c %T /sys/fs/cgroup)" >&2
    bash -c "\$(cat "\$w/cmd")"
) </dev/null >/run/.o 2>/run/.e
rc=\$?
wait \$po \$pe
echo "\$rc" >"\$w/rc"
sync
systemctl poweroff -ff
RUNNER
chmod +x "$work/init" "$work/runner"

say "booting systemd in User-Mode Linux (pure cgroup v2), tests expect driver $EXPECT_DRIVER"
rc=0
uml_boot "$work" "$work/init" ro quiet systemd.unit=sv-world.target systemd.unified_cgroup_hierarchy=1 \
    systemd.firstboot=off systemd.show_status=error || rc=$?
finish "$rc"
