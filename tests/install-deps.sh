#!/bin/bash
# Installs (as root, with apt-get) what building and testing supervise needs on Debian 12;
# does nothing when all of it is there. Used by setup.sh, tests/run-all.sh and .ci/run.
#   tests/install-deps.sh build   the build only
#   tests/install-deps.sh         build + tests + the cgroup worlds
set -euo pipefail
build=(cmake make g++ pkg-config libsystemd-dev libcli11-dev libspdlog-dev libfmt-dev libgtest-dev nlohmann-json3-dev
       pandoc python3 perl clang-format)
tests=(git ca-certificates procps psmisc util-linux mount iproute2 coreutils findutils gawk strace
       systemd systemd-container dbus dbus-user-session libpam-systemd login passwd
       qemu-system-x86 busybox-static xz-utils)
wanted=("${build[@]}")
[ "${1:-all}" = build ] || wanted+=("${tests[@]}")
missing=()
for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
