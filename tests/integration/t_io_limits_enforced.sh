#!/bin/bash
# --io-max caps a run's bandwidth on a disk: 4 MiB read with O_DIRECT at rbps=2M takes at
# least ~2 s (the kernel's throttle, not a timer of ours), and a write at wbps=2M too; the
# same read unlimited is not throttled. A file names its file system's disk. Where the
# driver has no io controller (a systemd user manager: not delegated), one line says so
# and nothing runs. --io-weight lands in the run's cgroup (io.weight, io.bfq.weight or
# blkio.bfq.weight), or is refused with one line naming what is missing. Bad values: 125.
#@ conformance
. "$TESTS_DIR/lock_lib.sh"

# Something to read from a disk: a file in $W when it is on a block device, else a RAM
# disk (the QEMU worlds load brd; their root is 9p).
target=
if "$PY" -c 'import os, sys; d = os.stat(sys.argv[1]).st_dev; sys.exit(not os.path.exists("/sys/dev/block/%d:%d" % (os.major(d), os.minor(d))))' "$W"; then
    dd if=/dev/urandom of="$W/data" bs=1M count=4 status=none && sync
    target=$W/data
    mode=file
elif [ -b /dev/ram0 ]; then
    target=/dev/ram0
    mode=ram
else
    skip "no block device here ($W is on no disk, and there is no /dev/ram0)"
fi
read_4m() { dd if="$target" of=/dev/null bs=64k count=64 iflag=direct status=none; }
run --io-max "$target:rbps=2M" -- dd if="$target" of=/dev/null bs=64k count=64 iflag=direct status=none
io_missing='(no (v1 )?(io|blkio) controller|the io controller is not available)'
if [ "$RC" = 125 ] && [[ "$ERR" =~ $io_missing ]]; then
    # A manager or host without the controller (a systemd user manager is not delegated
    # io): one line naming it, and nothing run -- what the contract asks for there.
    note "--io-max refused here: $ERR"
    assert_eq 1 "$(printf '%s\n' "$ERR" | grep -c .)" "lines of the refusal"
    refused=1
else
    refused=
    assert_status 0
    assert_cmp "$ELAPSED" '>=' 1.5 "seconds to read 4 MiB ($mode) at rbps=2M: $ERR"
    run -- dd if="$target" of=/dev/null bs=64k count=64 iflag=direct status=none
    assert_status 0
    assert_cmp "$ELAPSED" '<' 1.5 "seconds to read 4 MiB ($mode) without a limit"
    if [ "$mode" = file ]; then
        out=$W/written
    else
        out=$target
    fi
    run --io-max "$target:wbps=2M" -- dd if=/dev/zero of="$out" bs=64k count=64 oflag=direct status=none
    assert_status 0
    assert_cmp "$ELAPSED" '>=' 1.5 "seconds to write 4 MiB ($mode) at wbps=2M"
fi

# The weight, as the run's own cgroup shows it.
show_weight='c=$(sed -n "s/^0:://p" /proc/self/cgroup); b=$(sed -n "s/^[0-9]*:blkio://p" /proc/self/cgroup)
for d in /sys/fs/cgroup/unified$c /sys/fs/cgroup$c /sys/fs/cgroup/blkio$b; do
    for f in io.weight io.bfq.weight blkio.bfq.weight blkio.weight; do
        [ -f "$d/$f" ] && echo "$f: $(head -1 "$d/$f")"
    done
done; true'
run --io-weight 300 -- sh -c "$show_weight"
if [ "$RC" = 125 ]; then
    assert_match "$ERR" "cannot enforce (--io-weight|an I/O weight)" "refusal of --io-weight"
    [ -n "$refused" ] || [[ "$ERR" == *weight* ]] || fail "--io-weight refused for another reason: $ERR"
    note "--io-weight refused here: $ERR"
else
    assert_status 0
    assert_match "$OUT" "weight: (default )?300" "the run's I/O weight"
fi

run --io-weight 0 -- touch "$W/ran"
assert_status 125
assert_contains "$ERR" "--io-weight: expected a whole number from 1 to 10000" "error of --io-weight 0"
run --io-max "$target:speed=1M" -- touch "$W/ran"
assert_status 125
assert_contains "$ERR" "unknown key 'speed'" "error of an unknown --io-max key"
run --io-max /nonexistent/disk:rbps=1M -- touch "$W/ran"
assert_status 125
assert_contains "$ERR" "--io-max: no device '/nonexistent/disk'" "error of a missing device"
[ ! -e "$W/ran" ] || fail "a refused run ran"
