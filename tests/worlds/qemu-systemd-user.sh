#!/bin/bash
# World: a non-root user with a systemd user manager on pure cgroup v2, what a desktop
# user or a lingering CI user gets on current distributions: systemd 252 as PID 1 in QEMU
# (TCG) on Debian's own kernel, a user made in the guest, `loginctl enable-linger` for it
# (logind starts user@UID.service), and the conformance tests run as that user through
# `su -` (PAM, pam_systemd: XDG_RUNTIME_DIR and the user bus as a login gets them). The
# systemd driver talks to the user manager, which pure v2 delegates memory, pids and cpu
# to; --driver auto must pick it. See qemu.sh.
. "$(dirname "$(readlink -f "$0")")/common.sh"
. "$(dirname "$(readlink -f "$0")")/qemu.sh"

EXPECT_DRIVER=systemd
need_packages libpam-systemd dbus-user-session login passwd
# su needs PAM's configuration in the guest's /etc
WORLD_QEMU_ETC="passwd group shadow gshadow ld.so.cache ld.so.conf ld.so.conf.d nsswitch.conf hosts
    localtime timezone environment pam.d security login.defs pam.conf shells"
user=svworld
# user_world_cmd: prints the guest's command (as root: the user, its manager, then the tests
# as the user) and writes the user's part to $work/user-cmd: the report, then the
# conformance tests from a ctest directory of the user's own (ctest writes its Testing/ log
# there; the build tree is root's)
user_world_cmd() {
{
    [ -n "${WORLD_COMMAND:-}" ] || printf 'mkdir -p ~/ctest && cp %q ~/ctest/ || exit 1\n' "$BUILD/tests/integration/CTestTestfile.cmake"
    world_script "/home/$user/ctest"
} >"$work/user-cmd"
cat <<CMD
set -u
useradd --create-home --shell /bin/bash $user || exit 1
uid=\$(id -u $user)
loginctl enable-linger $user || exit 1
for _ in \$(seq 600); do [ -S /run/user/\$uid/bus ] && break; sleep 0.1; done
[ -S /run/user/\$uid/bus ] || { echo "FAIL: world $WORLD: no user manager bus at /run/user/\$uid/bus" >&2; systemctl status user@\$uid.service >&2; exit 1; }
# the shared trees' parents that live on the guest's own root must be reachable for the user
for d in $(printf '%q ' "$SOURCE" "$BUILD"); do
    while [ "\$d" != / ]; do
        d=\$(dirname "\$d")
        [ "\$(stat -f -c %T "\$d")" = tmpfs ] && chmod o+x "\$d"
    done
done
install -o $user -g $user -m 0500 $(printf %q "$work/user-cmd") /home/$user/world-cmd || exit 1
runuser -u $user -- test -x $(printf %q "$BUILD/supervise") ||
    { echo "FAIL: world $WORLD: user $user cannot read the build tree $(printf %q "$BUILD") (its permissions on the host?)" >&2; exit 1; }
su - $user -c "bash ~/world-cmd" </dev/null
CMD
}
qemu_world systemd "systemd as PID 1 on pure cgroup v2, tests as user $user with its user manager" user_world_cmd
