#!/bin/bash
# World: the cgroup2 driver on this host's own cgroup v2 hierarchy (qemu-cgroup2.sh runs it
# on a pure v2 kernel; this runs it beside the host's other drivers, for real):
# mkdir, clone3(CLONE_INTO_CGROUP), cgroup.events, cgroup.kill, cgroup.freeze, cpu.stat,
# removal. On a hybrid host the unified hierarchy has no controllers, so every limit test
# is refused with "cannot enforce" and skips loudly; on a pure v2 host it has them all.
# Runs under a private cgroup root, which it creates and removes.
. "$(dirname "$(readlink -f "$0")")/common.sh"

EXPECT_DRIVER=cgroup2
unified=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
[ -n "$unified" ] || world_skip "no cgroup2 hierarchy is mounted"
self=$(awk -F: '$1 == "0" {print $3}' /proc/self/cgroup)
root="$unified${self%/}/sv-world-cgroup2-$$"
mkdir "$root" || world_skip "cannot create $root (no delegated cgroup2 subtree here)"
cleanup() {
    stop_bounded
    kill_cgroup_tree "$root"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
say "cgroup root $root (controllers: $(cat "$root/cgroup.controllers" 2>/dev/null | tr -d '\n' || true))"
# auto still picks what this host calls for (hybrid on a hybrid host); the tests ask for cgroup2
case $(stat -f -c %T /sys/fs/cgroup) in cgroup2fs) EXPECT_AUTO=cgroup2 ;; *) EXPECT_AUTO=hybrid ;; esac
export SUPERVISE_CGROUP_ROOT=$root
rc=0
run_bounded bash -c "$(world_script)" || rc=$?
finish "$rc"
