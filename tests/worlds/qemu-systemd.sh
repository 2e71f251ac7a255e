#!/bin/bash
# World: systemd 252 as PID 1 on pure cgroup v2 (the layout of Debian 12, Ubuntu 22.04+,
# Fedora, RHEL 9), on Debian's own kernel in QEMU (TCG). The conformance tests run as root
# in a service once the boot has finished, with the systemd driver on the system manager,
# and --driver auto must pick it. See qemu.sh.
. "$(dirname "$(readlink -f "$0")")/common.sh"
. "$(dirname "$(readlink -f "$0")")/qemu.sh"

EXPECT_DRIVER=systemd
work=$(handover_dir)
trap 'qemu_reap; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP
{
    world_report
    printf 'cd %q || exit 1\n' "$SOURCE"
    printf 'export %s\n' $(world_env)
    world_command
} >"$work/cmd"
say "booting systemd in QEMU (pure cgroup v2, system manager); tests expect driver $EXPECT_DRIVER"
rc=0
qemu_boot "$work" systemd || rc=$?
finish "$rc"
