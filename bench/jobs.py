#!/usr/bin/env python3
"""The memory-aware jobserver against plain `make -jN`: a real C++ build (on demand).

    SUPERVISE=build/supervise python3 bench/jobs.py [--jobs 8] [--limit auto] [--json]
                                                  [--targets supervise_cgroup supervise_lock]

Configures this repository once in a scratch directory (CMake, Makefiles) and then builds
the same targets again and again from clean, each time as one supervised run under the
same --memory LIMIT, with make -k (a killed compiler does not stop the rest):

  -jK          supervise --memory LIMIT -- make -k -jK        K = 1, 2, 3, JOBS
  --jobs JOBS  supervise --memory LIMIT --jobs JOBS -- make -k

LIMIT (auto): 1.9 times the peak of the -j1 build, which is the largest single compiler:
room for two compilers at their peak but not three, so -jJOBS alone exceeds it. For every setting it
reports the wall time, the OOM kills, whether every object was built, and for --jobs the
result's jobs figures. The ratio printed is the --jobs wall time to the best -jK that
built everything with no OOM kill. Asserts nothing.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_TARGETS = ["supervise_cgroup", "supervise_lock", "supervise_run", "supervise_task"]


def supervised_build(supervise, build, targets, limit, extra, make_jobs):
    subprocess.run(["make", "-C", build, "clean"], check=True, capture_output=True)
    argv = [supervise, "-q", "--json"]
    if limit:
        argv += ["--memory", str(limit)]
    argv += extra + ["--", "make", "-k", "-C", build]
    argv += ([f"-j{make_jobs}"] if make_jobs else []) + targets
    env = dict(os.environ)
    env.pop("MAKEFLAGS", None)
    began = time.time()
    proc = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    wall = time.time() - began
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"wall": wall, "status": result["exit_status"], "oom_kills": result["oom_kills"],
            "peak": result["memory_peak_bytes"], "jobs": result.get("jobs")}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--limit", default="auto", help="--memory of every build (auto: see above)")
    ap.add_argument("--targets", nargs="+", default=DEFAULT_TARGETS)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    supervise = os.path.abspath(os.environ.get("SUPERVISE", os.path.join(REPO, "build", "supervise")))
    scratch = tempfile.mkdtemp(prefix="supervise-bench-jobs.")
    build = os.path.join(scratch, "build")
    try:
        subprocess.run(["cmake", "-S", REPO, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                        "-DSUPERVISE_TESTS=OFF"], check=True, capture_output=True)
        rows = []
        one = supervised_build(supervise, build, args.targets, None, [], 1)
        limit = int(1.9 * one["peak"]) if args.limit == "auto" else args.limit
        limit_bytes = limit if isinstance(limit, int) else None
        # (-j1 under the limit is the -j1 build above when its peak is below the limit)
        rows.append(dict(one if args.limit == "auto" else
                         supervised_build(supervise, build, args.targets, limit, [], 1),
                         setting="-j1"))
        for k in sorted({2, 3, args.jobs}):
            if k > 1:
                r = supervised_build(supervise, build, args.targets, limit, [], k)
                rows.append(dict(r, setting=f"-j{k}"))
        r = supervised_build(supervise, build, args.targets, limit, ["--jobs", str(args.jobs)], None)
        rows.append(dict(r, setting=f"--jobs {args.jobs}"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    ok = [r for r in rows if not r["setting"].startswith("--") and r["status"] == 0 and r["oom_kills"] == 0]
    best = min(ok, key=lambda r: r["wall"]) if ok else None
    ours = rows[-1]
    ratio = ours["wall"] / best["wall"] if best else None
    if args.json:
        print(json.dumps({"limit": limit, "targets": args.targets, "rows": rows,
                          "best_surviving": best["setting"] if best else None, "ratio": ratio}))
        return
    shown = f"{limit_bytes / 2**20:.0f}M" if limit_bytes else limit
    print(f"targets {' '.join(args.targets)}; every build under --memory {shown}"
          f" (-j1 peak {one['peak'] / 2**20:.0f}M)")
    print(f"{'setting':<10} {'wall s':>8} {'status':>6} {'OOM kills':>9} {'peak M':>7}  jobs")
    for r in rows:
        jobs = ""
        if r["jobs"]:
            j = r["jobs"]
            jobs = (f"peak {j['peak_parallel']} of {j['max']}, held back {j['seconds_throttled']}s,"
                    f" up to {j['tokens_withheld_max']} tokens")
        print(f"{r['setting']:<10} {r['wall']:8.1f} {r['status']:>6} {r['oom_kills']:>9}"
              f" {r['peak'] / 2**20:7.0f}  {jobs}")
    if best:
        print(f"--jobs {args.jobs} / best surviving {best['setting']}: {ratio:.2f}x wall time")
    else:
        print("no -jK setting built everything without an OOM kill")


if __name__ == "__main__":
    sys.exit(main())
