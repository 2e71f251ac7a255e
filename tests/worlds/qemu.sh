# QEMU guests for the pure cgroup v2 worlds (sourced after common.sh by qemu-*.sh).
#
# A guest runs Debian's own kernel (linux-image-amd64, the kernel our users run) under
# QEMU with TCG: pure emulation, so it boots on every x86-64 CPU (no KVM: nested KVM is
# unusable on our machines, and User-Mode Linux cannot boot on CPUs with AMX).
#
# Its root is VOLATILE: a tmpfs with the host's /usr (and /bin, /lib... or their merged-/usr
# links) read-only, an /etc of a few copied host files, empty /var, /run, /tmp, /root,
# /home. The host's / reaches the guest as a virtio-9p share QEMU exports read-only; the
# source tree, the build tree and the world's hand-over directory are read-write 9p shares
# mounted at the same paths, whatever those paths are (under /tmp, /var/tmp, a home
# directory, with spaces). Nothing else on the host is writable from the guest.
#
# qemu_boot WORK INIT runs the guest and returns the status of WORK/cmd (a bash script the
# caller writes; its stdout and stderr come back on ours):
#   INIT=plain    PID 1 is bash: it mounts the API file systems and cgroup2 (memory, pids,
#                 cpu, io enabled in the root's subtree_control), then runs WORK/cmd in the
#                 root cgroup, as in a container with no service manager.
#   INIT=systemd  PID 1 is systemd 252 (which mounts cgroup2 itself) with D-Bus; WORK/cmd
#                 runs as root in a service once the boot has finished.
# 124: the guest ran longer than WORLD_TIMEOUT; 255: it never reported a status (the
# guest console is printed). A boot that has not started WORK/cmd within
# QEMU_BOOT_TIMEOUT seconds is killed and repeated, up to 3 boots: TCG guests now and then
# freeze early in the kernel (an RCU stall: a vCPU's timer interrupt never arrives).
#
# Environment: QEMU_MEM (default 1536M), QEMU_SMP (2), QEMU_BOOT_TIMEOUT (120),
# WORLD_QEMU_ETC (host /etc entries to copy; default below), QEMU_KEEP_LOG=FILE (keep the
# guest console), SUPERVISE_QEMU_CACHE (kernel and initramfs, built once:
# /var/cache/supervise-worlds).

need_packages qemu-system-x86 busybox-static xz-utils systemd dbus procps
WORLD_FORBIDS_SKIPS=1   # pure v2 with every controller: no conformance test may skip here
command -v qemu-system-x86_64 >/dev/null || world_fail "qemu-system-x86_64 missing after installing qemu-system-x86"

# --- kernel + initramfs, built once and reused ---------------------------------------------
# The initramfs is generic: load the virtio and 9p modules, mount the host's / (share
# "root", read-only) at /host and the hand-over share "work" at /handover, run stage 1
# from there. The cache is keyed by this text, so editing it rebuilds the cache.
read -r -d '' _qemu_initramfs_init <<'EOF' || true
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
for m in /mods/*.ko; do case $m in *brd.ko) insmod "$m" rd_nr=1 rd_size=16384;; *) insmod "$m";; esac 2>/dev/null; done
o=trans=virtio,version=9p2000.L,msize=512000,cache=loose
mkdir -p /host /handover /newroot
if mount -t 9p -o "ro,$o" root /host && mount -t 9p -o "$o" work /handover && cp /handover/stage1 /stage1; then
    exec sh /stage1
fi
echo "supervise world initramfs: cannot mount the 9p shares"
poweroff -f
EOF
_qemu_modules="drivers/block/brd drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev
    drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci drivers/char/virtio_console
    net/9p/9pnet net/9p/9pnet_virtio fs/netfs/netfs fs/fscache/fscache fs/9p/9p"

# Downloads linux-image-amd64's kernel package (once) and builds the initramfs.
qemu_kernel() {
    local key cache tmp pkg kver mods n m kimg off
    key=$(printf '%s\n' "$_qemu_initramfs_init" "$_qemu_modules" | sha256sum | cut -c1-16)
    cache=${SUPERVISE_QEMU_CACHE:-/var/cache/supervise-worlds}
    mkdir -p "$cache"
    QEMU_KERNEL=$cache/kernel QEMU_INITRD=$cache/initrd.gz
    exec 9>"$cache/.lock"
    flock 9
    if [ "$(cat "$cache/key" 2>/dev/null)" = "$key" ] && [ -s "$QEMU_KERNEL" ] && [ -s "$QEMU_INITRD" ]; then
        exec 9>&-
        return 0
    fi
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
    if [ -z "$pkg" ]; then
        apt-get update -q >/dev/null 2>&1 || true
        pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
    fi
    [ -n "$pkg" ] || world_fail "cannot resolve linux-image-amd64 to a kernel package (apt-get update?)"
    say "building the guest kernel and initramfs from $pkg (once, in $cache)"
    rm -rf "$cache"/build.*   # (what a build killed -9 left)
    tmp=$(mktemp -d "$cache/build.XXXXXX")
    # (a subshell with errexit: a step that fails must not leave a cache that looks whole)
    if ! (
        set -e
        cd "$tmp"
        apt-get download "$pkg" >/dev/null 2>&1 || { echo "apt-get download $pkg failed"; exit 1; }
        dpkg-deb -x "$tmp"/*.deb "$tmp/k"
        kver=${pkg#linux-image-}
        mods=$tmp/k/lib/modules/$kver
        mkdir -p "$tmp/initrd/"{bin,dev,proc,sys,mods}
        cp /bin/busybox "$tmp/initrd/bin/busybox"
        n=0
        for m in $_qemu_modules; do
            n=$((n + 1))
            dst=$tmp/initrd/mods/$(printf %02d $n)-${m##*/}.ko
            if [ -f "$mods/kernel/$m.ko" ]; then cp "$mods/kernel/$m.ko" "$dst"
            elif [ -f "$mods/kernel/$m.ko.xz" ]; then xz -dc "$mods/kernel/$m.ko.xz" >"$dst"
            elif ! grep -qx "kernel/$m.ko" "$mods/modules.builtin"; then
                echo "$pkg has no module $m, neither built in nor as a .ko or .ko.xz"; exit 1
            fi
        done
        printf '%s\n' "$_qemu_initramfs_init" >"$tmp/initrd/init"
        chmod +x "$tmp/initrd/init"
        (cd "$tmp/initrd" && find . | /bin/busybox cpio -o -H newc 2>/dev/null | gzip -1 >"$tmp/initrd.gz")
        # The bzImage costs ~8 s of emulated firmware and xz decompression; the ELF inside it
        # boots through the PVH entry point (QEMU loads it directly) in under 1 s.
        kimg=$tmp/k/boot/vmlinuz-$kver
        off=$(LC_ALL=C grep -obUaP -m1 '\xfd7zXZ\x00' "$kimg" | head -1 | cut -d: -f1) || off=
        if [ -n "$off" ] && grep -q '^CONFIG_PVH=y' "$tmp/k/boot/config-$kver" &&
            tail -c +$((off + 1)) "$kimg" >"$tmp/vmlinux.xz" &&
            xz -dc --single-stream "$tmp/vmlinux.xz" >"$tmp/vmlinux" 2>/dev/null &&
            [ "$(head -c 4 "$tmp/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
            kimg=$tmp/vmlinux
        fi
        rm -f "$cache/key"   # the key last: only a whole cache has one
        mv "$kimg" "$QEMU_KERNEL"
        mv "$tmp/initrd.gz" "$QEMU_INITRD"
        echo "$pkg" >"$cache/kernel-package"
        echo "$key" >"$cache/key"
    ) >"$tmp.log" 2>&1; then
        rm -rf "$tmp"
        world_fail "building the guest kernel failed: $(tail -3 "$tmp.log" | tr '\n' ' ')"
    fi
    rm -rf "$tmp" "$tmp.log"
    exec 9>&-
}

# A path QEMU takes inside -fsdev/-device options: commas doubled.
_qemu_opt_path() { printf '%s' "${1//,/,,}"; }

_qemu_pid= _qemu_watchdog=
qemu_reap() {
    if [ -n "$_qemu_pid" ]; then { kill -KILL "$_qemu_pid"; wait "$_qemu_pid"; } 2>/dev/null || true; fi
    if [ -n "$_qemu_watchdog" ]; then { kill "$_qemu_watchdog"; wait "$_qemu_watchdog"; } 2>/dev/null || true; fi
    _qemu_pid= _qemu_watchdog=
}

# qemu_boot WORK INIT [SHARED_DIR...]: see the top of this file. WORK must be a
# handover_dir; SOURCE and BUILD are always shared.
qemu_boot() {
    local work=$1 init=$2 b i k s u
    shift 2
    qemu_kernel
    case "$work" in *[!A-Za-z0-9/._-]*) world_fail "hand-over directory name unusable: $work" ;; esac
    [ -s "$work/cmd" ] || world_fail "qemu_boot: $work/cmd is missing"

    # the shares, parents before children: "TAG PATH" (a 9p channel is mounted once)
    local shares=() qshares=()
    mapfile -t shares < <(printf '%s\n' "$SOURCE" "$BUILD" "$@" | awk 'NF' | sort -u)
    for b in "${shares[@]}"; do
        case "$b" in
        *$'\n'*) world_fail "cannot share a path with a newline: $b" ;;
        /|/usr|/usr/*|/etc|/etc/*|/proc|/proc/*|/sys|/sys/*|/dev|/dev/*|/run|/run/*|/boot|/boot/*)
            world_fail "refusing to share $b read-write with the guest (move the checkout or the build tree)" ;;
        esac
        [ -d "$b" ] || world_fail "not a directory: $b"
    done
    {
        echo "work $work"
        for i in "${!shares[@]}"; do echo "b$i ${shares[$i]}"; done
    } | awk '{p = $0; sub(/^[^ ]* /, "", p); print length(p) "\t" $0}' | sort -n | cut -f2- >"$work/binds"
    for i in "${!shares[@]}"; do
        qshares+=(-fsdev "local,id=b$i,path=$(_qemu_opt_path "${shares[$i]}"),security_model=passthrough,multidevs=remap"
                  -device "virtio-9p-pci,fsdev=b$i,mount_tag=b$i")
    done
    (umask 077; export -p | grep -v -E '^declare -x (BASH_[A-Z_]*|SHLVL|PWD|OLDPWD|_|TMPDIR|INVOCATION_ID|JOURNAL_STREAM|NOTIFY_SOCKET|WATCHDOG_[A-Z]*|LISTEN_[A-Z]*|SYSTEMD_[A-Z_]*|DBUS_[A-Z_]*|XDG_[A-Z_]*|MANAGERPID|TERM|HOME|USER|LOGNAME|MAIL|SUDO_[A-Z]*)=' \
        >"$work/env" || true)
    mkfifo "$work/stdout.fifo" "$work/stderr.fifo"

    # the guest's /etc and /var, copied onto its tmpfs root in one go
    k=$work/skel s=$work/skel/etc/systemd/system
    mkdir -p "$s" "$k/etc/tmpfiles.d" "$k/var"
    for f in ${WORLD_QEMU_ETC-passwd group shadow gshadow ld.so.cache ld.so.conf ld.so.conf.d nsswitch.conf hosts localtime timezone environment}; do
        [ -e "/etc/$f" ] || [ -L "/etc/$f" ] || continue
        cp -a --parents "/etc/$f" "$k/"
    done
    ln -s ../usr/lib/os-release "$k/etc/os-release"
    echo "$WORLD" | tr -c 'a-z0-9\n' - >"$k/etc/hostname"
    for l in bin sbin lib lib32 lib64 libx32; do   # merged /usr: links, else read-only binds
        if [ -L "/$l" ]; then echo "L $l $(readlink "/$l")"; elif [ -d "/$l" ]; then echo "D $l"; fi
    done >"$work/toplevel"

    local exec_init kargs="console=ttyS0 panic=-1 cryptomgr.notests quiet"
    case "$init" in
    plain)
        exec_init="/bin/bash $work/init"
        _qemu_plain_init "$work"
        ;;
    systemd)
        exec_init=/lib/systemd/systemd
        kargs="$kargs systemd.unit=sv-world.target systemd.unified_cgroup_hierarchy=1 systemd.firstboot=off systemd.show_status=error"
        _qemu_systemd_units "$work"
        ;;
    *) world_fail "qemu_boot: unknown init $init" ;;
    esac
    _qemu_stage1 "$work" "$exec_init"
    _qemu_runner "$work" "$init"

    # --- run the guest, again when a boot froze before the command started
    local boot_timeout=${QEMU_BOOT_TIMEOUT:-120} try left deadline hung
    for try in 1 2 3; do
        rm -f "$work/console" "$work/started" "$work/rc" "$work/timedout"
        left=$((WORLD_TIMEOUT - $(elapsed)))   # (one budget for the whole runner)
        [ "$left" -gt 0 ] || { echo timeout >"$work/timedout"; break; }
        # ttyS0: kernel and systemd console (a log); the command's stdout and stderr: two
        # virtio serial ports (binary-clean, far faster than a UART). -cpu max without
        # ERMS/FSRM: `rep movsb/stosb` is slow under TCG, the other paths are not.
        qemu-system-x86_64 -nodefaults -no-user-config -display none -no-reboot \
            -machine q35,accel=tcg -cpu max,erms=off,fsrm=off -smp "${QEMU_SMP:-2}" -m "${QEMU_MEM:-1536M}" \
            -kernel "$QEMU_KERNEL" -initrd "$QEMU_INITRD" -append "$kargs" \
            -fsdev local,id=root,path=/,security_model=passthrough,multidevs=remap,readonly=on \
            -device virtio-9p-pci,fsdev=root,mount_tag=root \
            -fsdev "local,id=work,path=$work,security_model=passthrough,multidevs=remap" \
            -device virtio-9p-pci,fsdev=work,mount_tag=work \
            "${qshares[@]}" \
            -chardev file,id=con,path="$work/console" -serial chardev:con \
            -device virtio-serial-pci,id=vser \
            -add-fd fd=3,set=3 -chardev file,id=out,path=/dev/fdset/3,append=on \
            -device virtserialport,bus=vser.0,chardev=out,name=sv.stdout \
            -add-fd fd=4,set=4 -chardev file,id=err,path=/dev/fdset/4,append=on \
            -device virtserialport,bus=vser.0,chardev=err,name=sv.stderr \
            </dev/null 3>&1 4>&2 >"$work/qemu.stderr" 2>&1 &
        _qemu_pid=$!
        (
            # the sleep must die with the watchdog, or it lingers for the whole timeout
            trap 'kill -KILL "$sp" 2>/dev/null; exit 0' TERM
            sleep "$left" & sp=$!
            wait "$sp" || exit 0
            echo timeout >"$work/timedout"
            kill -KILL "$_qemu_pid" 2>/dev/null
        ) </dev/null >/dev/null 2>&1 &
        _qemu_watchdog=$!
        deadline=$((SECONDS + boot_timeout)) hung=
        while [ ! -e "$work/started" ] && kill -0 "$_qemu_pid" 2>/dev/null; do
            [ $SECONDS -lt $deadline ] || { hung=1; break; }
            sleep 0.2
        done
        if [ -n "$hung" ]; then
            say "warning: the guest did not boot within $boot_timeout s (boot $try of 3); console tail:"
            tail -3 "$work/console" >&2 || true
        else
            wait "$_qemu_pid" 2>/dev/null || true
            _qemu_pid=   # (reaped: its pid may be another process's now)
        fi
        qemu_reap
        # (a command that started while the frozen boot was being killed must not run twice)
        [ -n "$hung" ] && [ ! -e "$work/started" ] || break
    done
    [ -n "${QEMU_KEEP_LOG:-}" ] && cp "$work/console" "$QEMU_KEEP_LOG"
    if [ -f "$work/timedout" ]; then
        say "the guest ran past WORLD_TIMEOUT=$WORLD_TIMEOUT s; its console:"
        tail -40 "$work/console" >&2
        return 124
    fi
    if [ -e "$work/started" ] && [ -s "$work/rc" ]; then
        return "$(cat "$work/rc")"
    fi
    if [ -e "$work/started" ]; then say "the guest reported no status; qemu and the guest console:"
    else say "the guest did not boot (the command never started); qemu and the guest console:"; fi
    cat "$work/qemu.stderr" >&2
    tail -40 "$work/console" >&2
    return 255
}

# Stage 1, in the initramfs (busybox sh, PID 1) with the host's / read-only at /host and
# the hand-over share at /handover: build the volatile root on a tmpfs, switch to INIT.
_qemu_stage1() {
    local work=$1 exec_init=$2
    cat >"$work/stage1" <<'STAGE1'
n=/newroot
o=trans=virtio,version=9p2000.L,msize=512000,cache=loose
fatal() { echo "world stage 1: $*"; echo 255 >/handover/rc; : >/handover/started; sync; poweroff -f; sleep 30; }
robind() {   # host path -> the same path in the new root, read-only
    mkdir -p "$n$1" && mount --bind "/host$1" "$n$1" && mount -o remount,bind,ro "$n$1" || fatal "bind $1"
}
mount -t tmpfs -o mode=755 tmpfs "$n" || fatal "tmpfs root"
mkdir -p "$n/usr" "$n/proc" "$n/sys" "$n/dev" "$n/run" "$n/tmp" "$n/var/tmp" "$n/root" \
    "$n/home" "$n/mnt" "$n/srv" "$n/opt" || fatal "mkdir"
chmod 1777 "$n/tmp" "$n/var/tmp"
while read -r t l d; do
    if [ "$t" = L ]; then ln -s "$d" "$n/$l"; else robind "/$l"; fi
done </handover/toplevel
robind /usr
cp -a /handover/skel/. "$n/" || fatal "copy /etc"
[ -d /host/etc/alternatives ] && robind /etc/alternatives
tr -d - </proc/sys/kernel/random/uuid >"$n/etc/machine-id"
while read -r tag b; do
    mkdir -p "$n$b" || fatal "mkdir $b"
    if [ "$tag" = work ]; then mount --bind /handover "$n$b" || fatal "bind $b"
    else mount -t 9p -o "$o" "$tag" "$n$b" || fatal "9p share $b"; fi
done </handover/binds
# /root stays private unless a share lies below it (its parents must then be reachable)
grep -q ' /root/' /handover/binds || chmod 700 "$n/root"
umount /handover && umount /host || fatal "umount /handover /host"
for m in dev proc sys; do mount --move "/$m" "$n/$m" || fatal "move /$m"; done
STAGE1
    echo "exec switch_root \"\$n\" $exec_init" >>"$work/stage1"
}

# INIT=plain: bash as PID 1 on the volatile root.
_qemu_plain_init() {
    local work=$1
    cat >"$work/init" <<'INIT'
#!/bin/bash
w=${0%/*}
fatal() { echo "world init: $*" >/dev/console; echo 255 >"$w/rc"; : >"$w/started"; sync; echo o >/proc/sysrq-trigger; sleep 30; }
mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup 2>/dev/null ||
    mount -t cgroup2 cgroup2 /sys/fs/cgroup || fatal "mount cgroup2"
echo "+memory +pids +cpu +io" >/sys/fs/cgroup/cgroup.subtree_control || fatal "enable controllers"
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts || true
mount -t tmpfs -o mode=1777 tmpfs /dev/shm || true
# what udev makes on a full system (bash needs /dev/fd for <(...))
ln -sfn /proc/self/fd /dev/fd; ln -sfn fd/0 /dev/stdin; ln -sfn fd/1 /dev/stdout; ln -sfn fd/2 /dev/stderr
hostname "$(cat /etc/hostname)" 2>/dev/null || true
ip link set lo up 2>/dev/null || true
# bash as PID 1 reaps every orphan when a child of its own ends (waitpid(-1)); the runner
# is that child
bash "$w/runner" &
wait $!
sync
echo o >/proc/sysrq-trigger
sleep 30
INIT
}

# INIT=systemd: the target and service that run the command once the boot has finished.
_qemu_systemd_units() {
    local work=$1 s=$1/skel/etc/systemd/system u excl g
    # not a first boot, nothing to update (passwd, group and ld.so.cache are the host's)
    printf 'TIMESTAMP_NSEC=%s\n' "$(date -r /usr +%s%N)" | tee "$work/skel/etc/.updated" >"$work/skel/var/.updated"
    echo 'd /tmp 1777 root root -' >"$work/skel/etc/tmpfiles.d/tmp.conf"
    # systemd-tmpfiles must never clean what is shared with the host
    excl=$(while read -r _ b; do printf ' "--exclude-prefix=%s"' "$b"; done <"$work/binds")
    mkdir -p "$s/systemd-tmpfiles-setup.service.d" "$s/systemd-tmpfiles-clean.service.d"
    printf '[Service]\nExecStart=\nExecStart=systemd-tmpfiles --create --remove --boot --exclude-prefix=/dev%s\n' "$excl" \
        >"$s/systemd-tmpfiles-setup.service.d/world.conf"
    printf '[Service]\nExecStart=\nExecStart=systemd-tmpfiles --clean%s\n' "$excl" \
        >"$s/systemd-tmpfiles-clean.service.d/world.conf"
    # nothing to do in this guest (no modules beyond 9p, no fstab, no persistent state, no
    # udev coldplug), and every process costs ~0.1 s under emulation
    for u in systemd-tmpfiles-clean.timer ldconfig.service modprobe@.service systemd-remount-fs.service \
        systemd-random-seed.service systemd-journal-flush.service systemd-update-utmp.service \
        systemd-update-utmp-runlevel.service systemd-journald-audit.socket proc-sys-fs-binfmt_misc.automount \
        systemd-binfmt.service systemd-modules-load.service systemd-hwdb-update.service \
        systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
        systemd-udev-trigger.service systemd-udev-settle.service \
        sys-kernel-debug.mount sys-kernel-tracing.mount dev-hugepages.mount; do
        ln -s /dev/null "$s/$u"
    done
    mkdir -p "$work/skel/etc/systemd/system-generators"
    for g in /usr/lib/systemd/system-generators/* /lib/systemd/system-generators/*; do
        [ -e "$g" ] && ln -sf /dev/null "$work/skel/etc/systemd/system-generators/${g##*/}"
    done
    cat >"$s/sv-world.target" <<UNIT
[Unit]
Description=supervise test world: basic system, D-Bus, the command
Requires=basic.target
Wants=dbus.socket dbus.service sv-world-cmd.service
After=basic.target dbus.service
AllowIsolate=yes
UNIT
    # Type=simple: its start job ends at once, so the boot finishes while the runner waits
    # for that and then runs the command
    cat >"$s/sv-world-cmd.service" <<UNIT
[Unit]
Description=supervise test world: the command
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
Description=supervise test world: boot failed ($u)
DefaultDependencies=no
[Service]
Type=oneshot
StandardInput=null
StandardOutput=tty
StandardError=tty
TTYPath=/dev/console
Environment=SYSTEMD_COLORS=0
ExecStart=/bin/bash -c 'echo "world: boot failed, systemd entered $u mode; failed units:"; systemctl --failed --no-legend --no-pager; echo 255 >$work/rc; : >$work/started; systemctl poweroff -ff'
UNIT
    done
}

# The runner: relays the command's output to the virtio ports, runs WORK/cmd with the
# caller's environment in the caller's directory, writes WORK/rc, powers off.
_qemu_runner() {
    local work=$1 init=$2
    {
        echo '#!/bin/bash'
        echo 'w=${0%/*}'
        [ "$init" = systemd ] && echo 'systemctl is-system-running --wait >/dev/null 2>&1'
        cat <<'RUNNER'
out= err=
for p in /sys/class/virtio-ports/*; do
    read -r name <"$p/name" || continue
    case $name in sv.stdout) out=/dev/${p##*/} ;; sv.stderr) err=/dev/${p##*/} ;; esac
done
if [ -z "$out" ] || [ -z "$err" ]; then
    echo "world runner: no virtio serial ports for the command's output" >/dev/console
    echo 255 >"$w/rc"
else
    # the command writes to pipes; only the relays open the ports (a port opens once)
    cat "$w/stdout.fifo" >"$out" & po=$!
    cat "$w/stderr.fifo" >"$err" & pe=$!
    (
        unset INVOCATION_ID JOURNAL_STREAM
        set -a; . "$w/env"; set +a
        export HOME=/root USER=root LOGNAME=root
        read -r up _ </proc/uptime; echo "$up" >"$w/started"   # stops the host's boot timer
        exec bash "$w/cmd"
    ) </dev/null >"$w/stdout.fifo" 2>"$w/stderr.fifo"
    echo $? >"$w/rc"
    # the relays end at EOF; a process the command left holding its output must not keep
    # the guest up
    for _ in $(seq 50); do { kill -0 $po || kill -0 $pe; } 2>/dev/null || break; sleep 0.1; done
    kill $po $pe 2>/dev/null
    wait $po $pe 2>/dev/null
fi
sync
RUNNER
        [ "$init" = systemd ] && echo 'systemctl poweroff -ff'
    } >"$work/runner"
}

# qemu_world INIT WHAT [CMD_WRITER]: the whole runner of a QEMU world. CMD_WRITER prints the
# guest's command (it may write more files into $work); by default world_script, as root.
qemu_world() {
    local init=$1 what=$2 writer=${3:-world_script} rc=0
    work=$(handover_dir)
    trap 'qemu_reap; rm -rf "$work"' EXIT
    trap 'exit 130' INT TERM HUP
    "$writer" >"$work/cmd"
    say "booting $(cat "${SUPERVISE_QEMU_CACHE:-/var/cache/supervise-worlds}/kernel-package" 2>/dev/null || echo "Debian's kernel") in QEMU: $what; tests expect driver $EXPECT_DRIVER"
    qemu_boot "$work" "$init" || rc=$?
    finish "$rc"
}
