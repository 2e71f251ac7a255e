#!/bin/bash
# World: pure cgroup v2 with no service manager, on Debian's own kernel in QEMU (TCG). PID 1
# is a shell that mounts cgroup2 with memory, pids, cpu and io enabled in the root's
# subtree_control, as a container's root cgroup looks; the conformance tests run there as
# root with the cgroup2 driver, and --driver auto must pick it. See qemu.sh.
. "$(dirname "$(readlink -f "$0")")/common.sh"
. "$(dirname "$(readlink -f "$0")")/qemu.sh"

EXPECT_DRIVER=cgroup2
work=$(handover_dir)
trap 'qemu_reap; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP
{
    world_report
    printf 'cd %q || exit 1\n' "$SOURCE"
    printf 'export %s\n' $(world_env)
    world_command
} >"$work/cmd"
say "booting $(cat "${SUPERVISE_QEMU_CACHE:-/var/cache/supervise-worlds}/kernel-package" 2>/dev/null || echo Debian\'s kernel) in QEMU (pure cgroup v2, no manager); tests expect driver $EXPECT_DRIVER"
rc=0
qemu_boot "$work" plain || rc=$?
finish "$rc"
