#!/bin/bash
# World: pure cgroup v2 with no service manager, on Debian's own kernel in QEMU (TCG). PID 1
# is a shell that mounts cgroup2 with memory, pids, cpu and io enabled in the root's
# subtree_control, as a container's root cgroup looks; the conformance tests run there as
# root with the cgroup2 driver, and --driver auto must pick it. See qemu.sh.
. "$(dirname "$(readlink -f "$0")")/common.sh"
. "$(dirname "$(readlink -f "$0")")/qemu.sh"

EXPECT_DRIVER=cgroup2
qemu_world plain "pure cgroup v2, no manager"
