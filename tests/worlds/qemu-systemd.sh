#!/bin/bash
# World: systemd 252 as PID 1 on pure cgroup v2 (the layout of Debian 12, Ubuntu 22.04+,
# Fedora, RHEL 9), on Debian's own kernel in QEMU (TCG). The conformance tests run as root
# in a service once the boot has finished, with the systemd driver on the system manager,
# and --driver auto must pick it. See qemu.sh.
. "$(dirname "$(readlink -f "$0")")/common.sh"
. "$(dirname "$(readlink -f "$0")")/qemu.sh"

EXPECT_DRIVER=systemd
qemu_world systemd "systemd as PID 1 on pure cgroup v2, system manager"
