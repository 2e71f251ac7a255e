#!/usr/bin/env python3
"""Soak test of supervise's locks under faults (on demand; not part of the default run).

    SUPERVISE=build/supervise python3 tests/soak/soak.py [--runs 10000] [--seed N]

Drives RUNS randomized `supervise --lock` runs on three locks of 1, 2 and 4 slots, keeping
CONCURRENCY of them in flight, and injects faults at random points while they run:

  kill9-holder-supervisor  SIGKILL to a supervise whose command runs (the slot must stay
                           held by the command's cgroup until it ends)
  kill9-waiter             SIGKILL to a supervise still queued
  kill9-command            SIGKILL to a holder's command (its tree must be killed before the
                           slot is released)
  corrupt-file             garbage written over a random file of a pool (records, tickets,
                           name, slots, parents, the ticket counter)
  delete-record            a random owner record removed

Each command writes timestamps (CLOCK_REALTIME, ns) to an event log, and holds an flock on
a file of its lock and slot for as long as any of its processes lives (a child it leaves
behind included): a second holder of that slot finds the flock taken. At the end it checks,
from the log and the kernel:

  overlaps             commands that found their slot's flock held by another run's process
                       (a slot granted twice) or a slot number out of range: must be 0
  slowest release      from a command's `end` (written as its last act) to the next `start`
                       on that lock while a waiter was queued: must stay under RELEASE_LIMIT
  leftovers            cgroups left in the private cgroup root, processes carrying the
                       soak's token, pools shown by `supervise list`: must be none
  errors               supervise exiting 125 (or anything but the command's status, 137
                       for a killed command, 75 for a --wait that ran out): must be 0

Prints the figures (and one JSON line with --json) and exits 1 when a check fails.
"""

import argparse
import bisect
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

LOCKS = {"soak-1": 1, "soak-2": 2, "soak-4": 4}
RELEASE_LIMIT = 2.0  # seconds; one wake-up, even on a loaded 2-core machine

# The command of every run: $1 the event log directory, $2 the run's id, $3 seconds to hold.
# fd 9 is the slot's flock: inherited by the child it leaves behind, so it is held for as
# long as anything of the run lives, which is exactly how long the slot must stay taken.
COMMAND = r'''
d=$1; id=$2
case "$SUPERVISE_SLOT" in ''|*[!0-9]*) echo "badslot $SUPERVISE_LOCK x $(date +%s%N) $id" >>"$d/events"; exit 3 ;; esac
exec 9>>"$d/slot-$SUPERVISE_LOCK-$SUPERVISE_SLOT"
flock -n 9 || echo "overlap $SUPERVISE_LOCK $SUPERVISE_SLOT $(date +%s%N) $id" >>"$d/events"
echo "start $SUPERVISE_LOCK $SUPERVISE_SLOT $(date +%s%N) $id" >>"$d/events"
[ "$4" = 1 ] && (sleep 0.05 &)
sleep "$3"
echo "end $SUPERVISE_LOCK $SUPERVISE_SLOT $(date +%s%N) $id" >>"$d/events"
'''


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def own_cgroup_dir():
    mount = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            if fields[sep + 1] == "cgroup2":
                mount = fields[4]
                break
    if mount is None:
        return None
    with open("/proc/self/cgroup") as f:
        for line in f:
            if line.startswith("0::"):
                return mount + line[3:].strip().rstrip("/")
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=12)
    parser.add_argument("--fault-rate", type=float, default=0.08,
                        help="chance of a fault at each launch")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    supervise = os.environ.get("SUPERVISE", "supervise")
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)

    token = f"sv-soak-{os.getpid()}-{seed}"
    work = tempfile.mkdtemp(prefix="supervise-soak.")
    os.chmod(work, 0o755)
    state = os.path.join(work, "state")
    env = dict(os.environ, SUPERVISE_STATE_DIR=state, SOAK_TOKEN=token)
    cg_root = None
    own = own_cgroup_dir()
    driver = json.loads(subprocess.run([supervise, "doctor", "--json"], capture_output=True,
                                       text=True, env=env).stdout or "{}").get("auto")
    if driver != "systemd" and own:
        cg_root = os.path.join(own, f"sv-soak-{os.getpid()}")
        os.mkdir(cg_root)
        env["SUPERVISE_CGROUP_ROOT"] = cg_root

    faults = {k: 0 for k in ("kill9-holder-supervisor", "kill9-waiter", "kill9-command",
                             "corrupt-file", "delete-record")}
    exits = {}
    errors = []
    launched = {}  # run id -> launch time
    inflight = {}  # run id -> Popen
    began = time.time()

    def reap(block=False):
        for rid, proc in list(inflight.items()):
            rc = proc.wait() if block else proc.poll()
            if rc is None:
                continue
            del inflight[rid]
            exits[rc] = exits.get(rc, 0) + 1
            err = proc.stderr.read()
            proc.stderr.close()
            if rc not in (0, 137, -9, 75) or "internal error" in err:
                errors.append(f"run {rid}: exit {rc}: {err.strip()[:300]}")

    def pool_files():
        found = []
        for root, _, files in os.walk(os.path.join(state, "locks")):
            found += [os.path.join(root, f) for f in files if ".tmp" not in f]
        return found

    def fault():
        kind = rng.choice(list(faults))
        procs = list(inflight.values())
        holders = [p for p in procs if children(p.pid)]
        waiters = [p for p in procs if not children(p.pid)]
        if kind == "kill9-holder-supervisor" and holders:
            rng.choice(holders).send_signal(signal.SIGKILL)
        elif kind == "kill9-waiter" and waiters:
            rng.choice(waiters).send_signal(signal.SIGKILL)
        elif kind == "kill9-command" and holders:
            kids = children(rng.choice(holders).pid)
            if not kids:
                return
            try:
                os.kill(kids[0], signal.SIGKILL)
            except ProcessLookupError:
                return
        elif kind in ("corrupt-file", "delete-record"):
            files = pool_files()
            if kind == "delete-record":
                files = [f for f in files if os.path.basename(f).startswith("slot-")]
            if not files:
                return
            path = rng.choice(files)
            try:
                if kind == "delete-record":
                    os.unlink(path)
                else:  # in place: a lock file keeps its inode (and its flock)
                    with open(path, "r+b") as f:
                        f.truncate(0)
                        f.write(bytes(rng.randrange(1, 256) for _ in range(rng.randrange(1, 64))))
            except OSError:
                return
        else:
            return
        faults[kind] += 1

    try:
        for rid in range(args.runs):
            while len(inflight) >= args.concurrency:
                reap()
                time.sleep(0.002)
            lock = rng.choice(list(LOCKS))
            hold = rng.choice([0, 0.005, 0.01, 0.02, 0.05]) if rng.random() < 0.95 else 0.3
            leaves_child = "1" if rng.random() < 0.1 else "0"
            argv = [supervise, "-q", "--lock", lock, "--slots", str(LOCKS[lock]), "--wait", "60",
                    "--", "sh", "-c", COMMAND, "soak", work, str(rid), str(hold), leaves_child]
            launched[rid] = time.time()
            inflight[rid] = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                             text=True, errors="replace")
            if rng.random() < args.fault_rate:
                fault()
            reap()
        reap(block=True)
        # Supervisors killed -9 leave their commands running until they end.
        deadline = time.time() + 30
        while time.time() < deadline:
            live = [d for d, _, _ in os.walk(cg_root) if d != cg_root] if cg_root else []
            if not any(os.path.exists(os.path.join(d, "cgroup.procs")) and
                       open(os.path.join(d, "cgroup.procs")).read().strip() for d in live):
                break
            time.sleep(0.1)
        elapsed = time.time() - began

        # --- checks ------------------------------------------------------------------------
        events = []
        with open(os.path.join(work, "events")) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 5:
                    events.append((int(parts[3]) / 1e9, parts[0], parts[1], parts[2], int(parts[4])))
        events.sort()
        overlaps = [e for e in events if e[1] in ("overlap", "badslot") or
                    (e[1] == "start" and int(e[3]) >= LOCKS.get(e[2], 0))]
        starts = {e[4]: e[0] for e in events if e[1] == "start"}
        ends = {e[4]: e[0] for e in events if e[1] == "end"}
        lock_of = {e[4]: e[2] for e in events if e[1] == "start"}
        # Per lock, the runs that started, by start time, with the earliest launch among
        # those that start at or after each one: "was a waiter queued at time t" is "some
        # run that starts after t was launched before t".
        by_lock = {}
        for rid, t in starts.items():
            by_lock.setdefault(lock_of[rid], []).append((t, launched[rid]))
        suffix_launch = {}
        for lock, runs in by_lock.items():
            runs.sort()
            low, mins = float("inf"), [0.0] * len(runs)
            for k in range(len(runs) - 1, -1, -1):
                low = min(low, runs[k][1])
                mins[k] = low
            suffix_launch[lock] = mins
        real = []
        for rid, end in ends.items():
            runs = by_lock[lock_of[rid]]
            k = bisect.bisect_right(runs, (end, float("inf")))
            if k < len(runs) and suffix_launch[lock_of[rid]][k] < end:
                real.append(runs[k][0] - end)
        real.sort()
        slowest = real[-1] if real else 0.0
        p99 = real[int(len(real) * 0.99)] if real else 0.0

        strays = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    if f"SOAK_TOKEN={token}".encode() in f.read():
                        strays.append(int(pid))
            except OSError:
                pass
        left_cgroups = [d for d, _, _ in os.walk(cg_root) if d != cg_root] if cg_root else []
        listed = subprocess.run([supervise, "list", "--json"], capture_output=True, text=True,
                                env=env)
        pools = json.loads(listed.stdout or "[]")
        report = {
            "seed": seed, "runs": args.runs, "seconds": round(elapsed, 1), "driver": driver,
            "exits": {str(k): v for k, v in sorted(exits.items())}, "faults": faults,
            "overlaps": len(overlaps), "releases_measured": len(real),
            "slowest_release_seconds": round(slowest, 4), "p99_release_seconds": round(p99, 4),
            "leftover_cgroups": len(left_cgroups), "leftover_processes": len(strays),
            "pools_listed": len(pools), "errors": len(errors),
        }
    finally:
        for proc in inflight.values():
            proc.kill()
        if cg_root and os.path.isdir(cg_root):
            try:
                with open(os.path.join(cg_root, "cgroup.kill"), "w") as f:
                    f.write("1")
            except OSError:
                pass
            for d, _, _ in sorted(os.walk(cg_root), key=lambda w: -len(w[0])):
                for _ in range(50):
                    try:
                        os.rmdir(d)
                        break
                    except FileNotFoundError:
                        break
                    except OSError:
                        time.sleep(0.05)
        shutil.rmtree(work, ignore_errors=True)

    failures = []
    if report["overlaps"]:
        failures.append(f"{report['overlaps']} overlaps: {overlaps[:3]}")
    if slowest > RELEASE_LIMIT:
        failures.append(f"a release took {slowest:.3f} s (limit {RELEASE_LIMIT} s)")
    if left_cgroups:
        failures.append(f"cgroups left: {left_cgroups[:5]}")
    if strays:
        failures.append(f"processes left: {strays[:5]}")
    if pools:
        failures.append(f"pools still listed: {[p['name'] for p in pools]}")
    if errors:
        failures.append(f"{len(errors)} errors, e.g. {errors[:3]}")
    if exits.get(75):
        failures.append(f"{exits[75]} runs waited 60 s without a slot")

    print(f"soak: {args.runs} runs in {elapsed:.1f} s (seed {seed}, driver {driver})")
    print("  exits: " + ", ".join(f"{k}: {v}" for k, v in sorted(exits.items())))
    print("  faults: " + ", ".join(f"{k} {v}" for k, v in faults.items()))
    print(f"  overlaps: {report['overlaps']}; releases measured: {len(real)}, "
          f"slowest {slowest * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
    print(f"  leftovers: {len(left_cgroups)} cgroups, {len(strays)} processes, "
          f"{len(pools)} pools listed")
    if args.json:
        print(json.dumps(report))
    for failure in failures:
        print("soak: FAIL: " + failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
