#!/usr/bin/env python3
"""Memory-budget admission against count-based locks: a synthetic build (on demand).

    SUPERVISE=build/supervise python3 bench/budget.py [--budget 2G] [--hold 1.0] [--json]

Twelve "jobs" that really allocate and touch 200 MiB to 900 MiB each, and hold it for
--hold seconds, all launched at once. Each setting runs the same jobs:

  capacity   --lock L --capacity BUDGET --memory NEED    (reservations; NEED = size x 1.25)
  backfill   the same with --backfill                   (later jobs that cannot delay the head)
  slots N    --lock L --slots N --memory NEED            (N = 1, 2, 3, 4: count only)

Each run's own --memory is generous, so no job is ever OOM-killed by its own limit; what
a count cannot see is the sum. For every setting it reports the wall time of the whole
build, OOM kills, and the peak of the sum of the memory the running jobs held: the
largest sum of kernel-measured peaks over jobs whose runs overlapped (from `supervise
history`: start, wall, peak). A sum above BUDGET is what a machine of that size would have
OOM-killed. Prints one table, and the ratio of the capacity setting's wall time to the
best count-based setting whose sum stayed within the budget. Asserts nothing.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

SIZES_MIB = [900, 800, 700, 600, 500, 400, 300, 200, 850, 650, 450, 250]
JOB = ("import sys, time\n"
       "n = int(sys.argv[1]) << 20\n"
       "b = bytearray(n)\n"
       "for i in range(0, n, 4096): b[i] = 1\n"
       "time.sleep(float(sys.argv[2]))\n")


def parse_size(text):
    units = {"M": 1 << 20, "G": 1 << 30}
    return int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)


def run_setting(supervise, name, extra, hold, state):
    env = dict(os.environ, SUPERVISE_STATE_DIR=state)
    began = time.time()
    procs = []
    for i, mib in enumerate(SIZES_MIB):
        need = int(mib * 1.25)
        argv = [supervise, "-q", "--job", f"job{i}", "--lock", "bench-budget", *extra,
                "--memory", f"{need}M", "--", sys.executable, "-c", JOB, str(mib), str(hold)]
        procs.append(subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    statuses = [p.wait() for p in procs]
    wall = time.time() - began
    history = json.loads(subprocess.run([supervise, "history", "--json", "--last", "12"],
                                        env=env, capture_output=True, text=True).stdout)
    runs = history["runs"]
    events = []
    for r in runs:
        events.append((r["started"], r["memory_peak_bytes"] or 0))
        events.append((r["started"] + r["wall_seconds"], -(r["memory_peak_bytes"] or 0)))
    events.sort(key=lambda e: (e[0], e[1]))  # ends before starts at the same instant
    held = most = 0
    for _, delta in events:
        held += delta
        most = max(most, held)
    return {"setting": name, "wall_seconds": round(wall, 2),
            "oom_kills": sum(1 for r in runs if r["oom_killed"]),
            "failed": sum(1 for s in statuses if s != 0),
            "peak_sum_bytes": most, "runs": len(runs)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", default="2G")
    parser.add_argument("--hold", type=float, default=1.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    supervise = os.environ.get("SUPERVISE", "supervise")
    budget = parse_size(args.budget)
    settings = [("capacity", ["--capacity", args.budget]),
                ("backfill", ["--capacity", args.budget, "--backfill"])] + \
        [(f"slots {n}", ["--slots", str(n)]) for n in (1, 2, 3, 4)]
    results = []
    for name, extra in settings:
        state = tempfile.mkdtemp(prefix="supervise-bench-budget.")
        try:
            results.append(run_setting(supervise, name, extra, args.hold, state))
        finally:
            shutil.rmtree(state, ignore_errors=True)
    print(f"budget benchmark: 12 jobs of 200-900 MiB held {args.hold}s, budget {args.budget}")
    print(f"  {'setting':10} {'wall s':>7} {'OOM':>4} {'failed':>6} {'peak of the sum':>16}  within budget")
    for r in results:
        r["within_budget"] = r["peak_sum_bytes"] <= budget
        print(f"  {r['setting']:10} {r['wall_seconds']:7.2f} {r['oom_kills']:4d} {r['failed']:6d} "
              f"{r['peak_sum_bytes'] / 2**20:12.0f} MiB  {'yes' if r['within_budget'] else 'NO'}")
    safe = [r for r in results[2:] if r["within_budget"] and r["failed"] == 0]
    if safe:
        best = min(safe, key=lambda r: r["wall_seconds"])
        for budgeted in results[:2]:
            ratio = budgeted["wall_seconds"] / best["wall_seconds"]
            print(f"  {budgeted['setting']} / best count-based setting within budget "
                  f"({best['setting']}): {ratio:.2f}x")
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
