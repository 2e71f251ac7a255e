#!/bin/bash
# --driver auto picks the driver this world calls for: systemd when PID 1 is systemd, else
# cgroup2 on a pure v2 hierarchy, else hybrid.
#@ conformance
. "$TESTS_DIR/lib.sh"

if [ -n "${SUPERVISE_EXPECT_AUTO:-}" ]; then want=$SUPERVISE_EXPECT_AUTO
elif [ -d /run/systemd/system ]; then want=systemd
elif [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then want=cgroup2
elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then want=hybrid
else skip "no cgroup2 hierarchy here"
fi
[ "$want" = none ] && skip "--driver auto is not meant to pick this world's driver"
run --driver auto --json -- true
assert_status 0
assert_eq "$want" "$(json driver)" "driver picked by --driver auto"
no_leftovers
