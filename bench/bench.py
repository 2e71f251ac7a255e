#!/usr/bin/env python3
"""The supervise benchmark suite: supervise against the tools users would use instead
(flock(1), systemd-run --scope), measured side by side in the same run. Driven by
bench/run-all.sh; see bench/README.md for the method. Measures, asserts nothing.

    bench.py all [--quick] [--json FILE]     every experiment, then the table
    bench.py worlds [--quick]                the overhead rows inside the QEMU guests and the container
    bench.py overhead --driver NAME ...      one experiment (as run inside a world)
"""
import argparse
import glob
import json
import os
import re
import shutil
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SUPERVISE = os.environ.get("SUPERVISE", os.path.join(HERE, "..", "build", "supervise"))
BENCHTOOL = os.environ.get("BENCHTOOL", os.path.join(os.path.dirname(SUPERVISE), "benchtool"))
UNIFIED = "/sys/fs/cgroup/unified" if os.path.isdir("/sys/fs/cgroup/unified") else "/sys/fs/cgroup"


def log(text):
    print(text, file=sys.stderr, flush=True)


def pct(values, p):
    """Nearest-rank percentile."""
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(len(v) * p / 100.0 + 0.999999) - 1))]


def ms(ns):
    return ns / 1e6


def cpu_seconds(rusage):
    return rusage.ru_utime + rusage.ru_stime


class Workdir:
    """A scratch directory with its own lock state dir; removed at the end."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="supervise-bench.")
        self.state = os.path.join(self.path, "state")
        os.makedirs(self.state)
        self.env = dict(os.environ, SUPERVISE_STATE_DIR=self.state)

    def close(self):
        shutil.rmtree(self.path, ignore_errors=True)


# 1. Overhead ------------------------------------------------------------------------

def overhead(rounds, driver=None, systemd_run=False):
    """Alternating runs of supervise, flock, bare true (and systemd-run --scope)."""
    wd = Workdir()
    try:
        sv = [SUPERVISE] + (["--driver", driver] if driver else []) + ["--lock", "x", "--memory", "1G", "--", "true"]
        cmds = {"supervise": sv, "flock": ["flock", os.path.join(wd.path, "flock.lock"), "true"],
                "true": ["true"]}
        if systemd_run:
            cmds["systemd-run"] = ["systemd-run", "--quiet", "--scope", "-p", "MemoryMax=1G", "true"]
        probe = subprocess.run(sv, env=wd.env, capture_output=True, text=True)
        if probe.returncode != 0:
            return {"error": probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else "exit %d" % probe.returncode}
        names = list(cmds)
        argv = [BENCHTOOL, "alt", str(rounds)]
        for i, name in enumerate(names):
            argv += ([":::"] if i else []) + cmds[name]
        out = subprocess.run(argv, env=wd.env, capture_output=True, text=True, check=True).stdout
        wall = {n: [] for n in names}
        cpu = {n: [] for n in names}
        failed = {n: 0 for n in names}
        for line in out.splitlines():
            idx, w, c, status = (int(x) for x in line.split())
            wall[names[idx]].append(w)
            cpu[names[idx]].append(c)
            failed[names[idx]] += status != 0
        result = {}
        for n in names:
            result[n] = {"runs": len(wall[n]), "failed": failed[n],
                         "median_ms": ms(statistics.median(wall[n])), "p95_ms": ms(pct(wall[n], 95)),
                         "cpu_ms": ms(statistics.median(cpu[n]))}
        return result
    finally:
        wd.close()


# 2. Handoff latency ----------------------------------------------------------------

def handoff(count):
    """bench/handoff.sh (the other half of this suite) when present; else our own."""
    script = os.path.join(HERE, "handoff.sh")
    if os.access(script, os.X_OK):
        run = subprocess.run([script, str(count)], capture_output=True, text=True,
                             env=dict(os.environ, SUPERVISE=SUPERVISE))
        found = {}
        for line in run.stdout.splitlines():
            m = re.match(r"\s*(supervise|flock\(1\)|flock)\s+handoffs\s+(\d+)\s+p50\s+([\d.]+) ms\s+p99\s+([\d.]+) ms", line)
            if m:
                found["flock" if m.group(1).startswith("flock") else "supervise"] = {
                    "handoffs": int(m.group(2)), "p50_ms": float(m.group(3)), "p99_ms": float(m.group(4))}
        if len(found) == 2:
            found["source"] = "bench/handoff.sh"
            return found
        log("bench: bench/handoff.sh gave no parsable result (rc %d); measuring handoff here\n%s%s"
            % (run.returncode, run.stdout, run.stderr))
    return own_handoff(count)


def own_handoff(count):
    """Fallback: a holder, then `count` waiters queued; each command logs start/end with date."""
    wd = Workdir()
    result = {"source": "bench.py"}
    try:
        for tool in ("supervise", "flock"):
            logf = os.path.join(wd.path, tool + ".log")
            stop = logf + ".stop"
            lock = [SUPERVISE, "--lock", "handoff", "--"] if tool == "supervise" else ["flock", os.path.join(wd.path, "f.lock")]
            holder = subprocess.Popen(lock + ["sh", "-c", 'while [ ! -e "$1.stop" ]; do sleep 0.005; done; echo "end $(date +%s%N)" >>"$1"', "sh", logf], env=wd.env)
            time.sleep(0.5)
            waiters = [subprocess.Popen(lock + ["sh", "-c", 'echo "start $(date +%s%N)" >>"$1"; echo "end $(date +%s%N)" >>"$1"', "sh", logf], env=wd.env)
                       for _ in range(count)]
            time.sleep(1.0 + count * 0.02)
            open(stop, "w").close()
            for p in [holder] + waiters:
                p.wait()
            events = sorted((int(t), kind) for kind, t in (l.split() for l in open(logf)))
            lat, end = [], None
            for t, kind in events:
                if kind == "end":
                    end = t
                elif end is not None:
                    lat.append(t - end)
                    end = None
            result[tool] = {"handoffs": len(lat), "p50_ms": ms(pct(lat, 50)), "p99_ms": ms(pct(lat, 99))}
    finally:
        wd.close()
    return result


# 3. Thundering herd ------------------------------------------------------------------

def queued_tickets(state, name_hint=None):
    return len([p for p in glob.glob(os.path.join(state, "locks", "*", "queue", "*")) if not p.endswith(".seq")])


def herd(waiters):
    """`waiters` processes queue behind a holder on one slot; the holder goes; all run `true`."""
    wd = Workdir()
    result = {}
    try:
        for tool in ("supervise", "flock"):
            stop = os.path.join(wd.path, tool + ".stop")
            lock = [SUPERVISE, "--lock", "herd", "--"] if tool == "supervise" else ["flock", os.path.join(wd.path, "herd.lock")]
            holder = subprocess.Popen(lock + ["sh", "-c", 'while [ ! -e "$1" ]; do sleep 0.005; done', "sh", stop], env=wd.env)
            time.sleep(0.3)
            procs = [subprocess.Popen(lock + ["true"], env=wd.env) for _ in range(waiters)]
            deadline = time.time() + 60
            while time.time() < deadline:  # everybody in line before the holder goes
                if tool == "supervise":
                    if queued_tickets(wd.state) >= waiters:
                        break
                elif sum(1 for p in procs if "lock" in open("/proc/%d/wchan" % p.pid).read()) >= waiters:
                    break
                time.sleep(0.02)
            time.sleep(0.2)
            start = time.perf_counter_ns()
            open(stop, "w").close()
            cpu, failed = 0.0, 0
            pending = {p.pid for p in procs}
            while pending:
                pid, status, ru = os.wait4(-1, 0)
                if pid in pending:
                    pending.discard(pid)
                    cpu += cpu_seconds(ru)
                    failed += status != 0
                elif pid == holder.pid:
                    holder.returncode = 0
            wall = time.perf_counter_ns() - start
            for p in procs:
                p.returncode = 0
            holder.wait()
            done = max(1, waiters - failed)  # a waiter that failed made no handoff
            result[tool] = {"wall_ms": ms(wall), "cpu_ms": cpu * 1000, "failed": failed,
                            "cpu_per_handoff_ms": cpu * 1000 / done}
    finally:
        wd.close()
    return result


# 4. Contended throughput ---------------------------------------------------------------

FLOCK_RR = r'''
c=$1 n=$2 dir=$3 slots=$4
for ((i = 0; i < n; i++)); do
    got=0
    for ((k = 0; k < slots; k++)); do
        flock -n -E 200 "$dir/slot$(( (c + k) % slots ))" true
        [ $? -ne 200 ] && { got=1; break; }
    done
    [ $got = 1 ] || flock "$dir/slot$(( c % slots ))" true
done
'''
SUPERVISE_LOOP = r'''
n=$1 slots=$2; shift 2
for ((i = 0; i < n; i++)); do "$@" --lock tp --slots "$slots" -- true; done
'''


def throughput(clients, runs, slots):
    wd = Workdir()
    result = {}
    try:
        # Steady state: the pool exists before the clients start (its creation is a
        # one-time cost, and was racy before fdff928's unique temp names).
        subprocess.run([SUPERVISE, "--lock", "tp", "--slots", str(slots), "--", "true"], env=wd.env, check=True)
        for tool in ("supervise", "flock"):
            start = time.perf_counter_ns()
            if tool == "supervise":
                procs = [subprocess.Popen(["bash", "-c", SUPERVISE_LOOP, "bash", str(runs), str(slots), SUPERVISE], env=wd.env)
                         for _ in range(clients)]
            else:
                procs = [subprocess.Popen(["bash", "-c", FLOCK_RR, "bash", str(c), str(runs), wd.path, str(slots)], env=wd.env)
                         for c in range(clients)]
            cpu = 0.0
            for p in procs:
                _, _, ru = os.wait4(p.pid, 0)
                cpu += cpu_seconds(ru)
            wall = time.perf_counter_ns() - start
            total = clients * runs
            result[tool] = {"wall_ms": ms(wall), "runs_per_s": total / (wall / 1e9), "cpu_ms_per_run": cpu * 1000 / total}
    finally:
        wd.close()
    return result


# 5. Kill-all ----------------------------------------------------------------------------

def kill_all(processes, runs):
    """`runs` supervised runs holding processes/runs processes each, under a private
    --cgroup-root (kill-all lists only <root>/supervise); time `supervise kill-all`."""
    wd = Workdir()
    root = os.path.join(UNIFIED, "bench-%d" % os.getpid())
    os.makedirs(root, exist_ok=True)
    env = dict(wd.env, SUPERVISE_CGROUP_ROOT=root)
    per_run = processes // runs
    procs = []
    try:
        for r in range(runs):
            ready = os.path.join(wd.path, "ready%d" % r)
            procs.append((subprocess.Popen([SUPERVISE, "-q", "--tasks", str(per_run + 16), "--memory", "4G", "--",
                                            BENCHTOOL, "tree", str(per_run), ready], env=env), ready))
        deadline = time.time() + 120
        while not all(os.path.exists(ready) for _, ready in procs):
            if time.time() > deadline:
                raise RuntimeError("kill-all: trees did not start")
            time.sleep(0.05)
        parent = os.path.join(root, "supervise")
        counted = 0
        for d in glob.glob(os.path.join(parent, "run-*")):
            counted += len(open(os.path.join(d, "cgroup.procs")).read().split())
        start = time.perf_counter_ns()
        run = subprocess.run([SUPERVISE, "kill-all"], env=env, capture_output=True, text=True)
        wall = time.perf_counter_ns() - start
        left = glob.glob(os.path.join(parent, "run-*"))
        for p, _ in procs:
            p.wait(timeout=30)
        return {"processes": counted, "runs": runs, "kill_all_ms": ms(wall), "exit": run.returncode,
                "cgroups_left": len(left), "message": (run.stderr.strip() or run.stdout.strip())}
    finally:
        for p, _ in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for d in sorted(glob.glob(os.path.join(root, "**/"), recursive=True), key=len, reverse=True):
            try:
                os.rmdir(d)
            except OSError:
                pass
        wd.close()


def kill_floor(processes, runs):
    """The kernel's part of kill-all: the same trees in bare cgroups (no supervise), then
    cgroup.kill, wait for `populated 0` (polled every 0.2 ms), rmdir."""
    wd = Workdir()
    root = os.path.join(UNIFIED, "bench-floor-%d" % os.getpid())
    os.makedirs(root, exist_ok=True)
    dirs, procs = [], []
    try:
        for r in range(runs):
            d = os.path.join(root, "tree%d" % r)
            os.mkdir(d)
            dirs.append(d)
            ready = os.path.join(wd.path, "ready%d" % r)
            enter = lambda d=d: open(os.path.join(d, "cgroup.procs"), "w").write(str(os.getpid()))
            procs.append((subprocess.Popen([BENCHTOOL, "tree", str(processes // runs), ready], preexec_fn=enter), ready))
        deadline = time.time() + 120
        while not all(os.path.exists(ready) for _, ready in procs):
            if time.time() > deadline:
                raise RuntimeError("floor: trees did not start")
            time.sleep(0.05)
        start = time.perf_counter_ns()
        for d in dirs:
            with open(os.path.join(d, "cgroup.kill"), "w") as f:
                f.write("1")
        for d in dirs:
            while "populated 1" in open(os.path.join(d, "cgroup.events")).read():
                time.sleep(0.0002)
            os.rmdir(d)
        wall = time.perf_counter_ns() - start
        return {"processes": processes, "floor_ms": ms(wall)}
    finally:
        for p, _ in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        for d in dirs + [root]:
            try:
                os.rmdir(d)
            except OSError:
                pass
        wd.close()


# 6. Footprint ------------------------------------------------------------------------------

def vm_hwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def proc_field(path, name):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(name):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def footprint(samples=5):
    wd = Workdir()
    result = {}
    try:
        for tool, argv in (("supervise", [SUPERVISE, "--lock", "x", "--memory", "1G", "--", "sleep", "0.4"]),
                           ("flock", ["flock", os.path.join(wd.path, "f.lock"), "sleep", "0.4"])):
            peaks, anon, pss = [], [], []
            for _ in range(samples):
                p = subprocess.Popen(argv, env=wd.env)
                time.sleep(0.25)  # the command runs now; supervise is waiting for it
                peak = vm_hwm_kib(p.pid)
                anon.append(proc_field("/proc/%d/status" % p.pid, "RssAnon:"))
                pss.append(proc_field("/proc/%d/smaps_rollup" % p.pid, "Pss:"))
                _, _, ru = os.wait4(p.pid, 0)
                p.returncode = 0
                peaks.append(max(peak, 0))
            result[tool] = {"vm_hwm_kib": max(peaks), "rss_anon_kib": max(anon), "pss_kib": max(pss)}
    finally:
        wd.close()
    return result


# Other cgroup worlds: the project's own world runners (tests/worlds/) -------------------------

WORLDS = os.path.join(HERE, "..", "tests", "worlds")


def world_overhead(world, rounds, driver, systemd_run=False):
    """`bench.py overhead` inside a world (tests/worlds/WORLD.sh with WORLD_COMMAND): the same
    alternating runs, against flock and systemd-run in the same guest, in the same run."""
    script = os.path.join(WORLDS, world + ".sh")
    inner = "%s %s overhead --rounds %d --driver %s%s" % (
        "/usr/bin/python3", shlex.quote(os.path.abspath(__file__)), rounds, driver, " --systemd-run" if systemd_run else "")
    build = os.path.dirname(os.path.abspath(SUPERVISE))
    env = dict(os.environ, WORLD_COMMAND=inner, SUPERVISE=os.path.abspath(SUPERVISE), BENCHTOOL=os.path.abspath(BENCHTOOL),
               WORLD_TIMEOUT=str(max(420, rounds * 12)))
    t0 = time.monotonic()
    p = subprocess.run(["bash", script, build, os.path.join(HERE, "..")], env=env, capture_output=True, text=True)
    took = time.monotonic() - t0
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if p.returncode != 0 or not lines:
        tail = " | ".join(p.stderr.strip().splitlines()[-4:])
        return {"error": "tried tests/worlds/%s.sh with `bench.py overhead --driver %s`: exit %d after %.0f s: %s" % (
            world, driver, p.returncode, took, tail or "no output")}
    result = json.loads(lines[-1])
    if "error" in result:
        result["error"] = "inside tests/worlds/%s.sh: %s" % (world, result["error"])
    else:
        report = [l for l in p.stderr.splitlines() if "kernel " in l and "--driver auto" in l]
        if report:
            log("bench: " + report[-1])
    return result


# The table ------------------------------------------------------------------------------------

def ratio(a, b):
    return "%.2fx" % (a / b) if b else "-"


def overhead_table(overheads):
    rows = []
    add = rows.append
    add("1. overhead (alternating runs; wall ms median / p95; cpu ms median; ratio of medians)")
    add("   %-22s %-12s %6s %9s %9s %7s %9s %9s" % ("driver", "tool", "runs", "median", "p95", "cpu", "/flock", "/sd-run"))
    for label, res, base in overheads:
        if "error" in res:
            add("   %-22s not measured: %s" % (label, res["error"]))
            continue
        for tool, row in res.items():
            vs = lambda other: ratio(row["median_ms"], res[other]["median_ms"]) if other in res and tool in ("supervise", "systemd-run") and other != tool else ""
            add("   %-22s %-12s %6d %9.2f %9.2f %7.2f %9s %9s" % (label, tool, row["runs"], row["median_ms"], row["p95_ms"],
                                                            row["cpu_ms"], vs("flock"), vs("systemd-run")))
        if "supervise" in res and "true" in res:
            net_s = res["supervise"]["median_ms"] - res["true"]["median_ms"]
            net_b = res[base]["median_ms"] - res["true"]["median_ms"]
            add("   %-22s net cost over bare true: supervise %.2f ms, %s %.2f ms: %s" % (label, net_s, base, net_b, ratio(net_s, net_b)))
    return rows


def table(r):
    rows = []
    add = rows.append
    add("supervise benchmark: %s" % r["machine"])
    add("")
    rows += overhead_table(r["overhead"])
    h = r["handoff"]
    add("")
    add("2. handoff latency (holder's command ends -> next waiter's command starts; %s)" % h.get("source"))
    for tool in ("supervise", "flock"):
        add("   %-12s handoffs %4d   p50 %8.2f ms   p99 %8.2f ms" % (tool, h[tool]["handoffs"], h[tool]["p50_ms"], h[tool]["p99_ms"]))
    add("   ratio        p50 %s   p99 %s" % (ratio(h["supervise"]["p50_ms"], h["flock"]["p50_ms"]),
                                             ratio(h["supervise"]["p99_ms"], h["flock"]["p99_ms"])))
    add("")
    add("3. thundering herd (N waiters on one slot, each runs true)")
    add("   %8s %11s %11s %11s %11s %11s %8s" % ("waiters", "sv wall ms", "fl wall ms", "sv cpu ms", "sv cpu/hoff", "fl cpu/hoff", "sv fail"))
    for n, res in r["herd"]:
        add("   %8d %11.1f %11.1f %11.1f %11.2f %11.2f %8s" % (n, res["supervise"]["wall_ms"], res["flock"]["wall_ms"],
                                                        res["supervise"]["cpu_ms"], res["supervise"]["cpu_per_handoff_ms"],
                                                        res["flock"]["cpu_per_handoff_ms"],
                                                        "%d/%d" % (res["supervise"]["failed"], n)))
    ok = [(n, res) for n, res in r["herd"] if not res["supervise"]["failed"]]
    if len(ok) > 1:
        add("   supervise cpu/handoff at %d vs %d waiters (largest and smallest without failures): %s" % (
            ok[-1][0], ok[0][0], ratio(ok[-1][1]["supervise"]["cpu_per_handoff_ms"], ok[0][1]["supervise"]["cpu_per_handoff_ms"])))
    for n, res in r["herd"]:
        if res["supervise"]["failed"]:
            add("   %d waiters: %d supervise waiters failed (exit status != 0; see stderr: inotify instances)" % (n, res["supervise"]["failed"]))
    add("")
    add("4. contended throughput (%s)" % r["throughput_desc"])
    add("   %-8s %12s %12s %12s %12s %8s" % ("slots", "sv runs/s", "fl runs/s", "sv cpu/run", "fl cpu/run", "sv/fl time"))
    for slots, res in r["throughput"]:
        add("   %-8d %12.1f %12.1f %12.2f %12.2f %8s" % (slots, res["supervise"]["runs_per_s"], res["flock"]["runs_per_s"],
                                                     res["supervise"]["cpu_ms_per_run"], res["flock"]["cpu_ms_per_run"],
                                                     ratio(res["supervise"]["wall_ms"], res["flock"]["wall_ms"])))
    add("")
    add("5. kill-all (trees of N processes across several runs; until every cgroup is empty and removed;")
    add("   kernel floor: the same trees in bare cgroups, cgroup.kill, wait until empty, rmdir)")
    for res in r["kill_all"]:
        if "error" in res:
            add("   error: %s" % res["error"])
            continue
        add("   %6d processes in %d runs: kill-all %8.1f ms  (exit %d, cgroups left %d); kernel floor %8.1f ms: %s" % (
            res["processes"], res["runs"], res["kill_all_ms"], res["exit"], res["cgroups_left"], res.get("floor_ms", 0),
            ratio(res["kill_all_ms"], res.get("floor_ms", 0))))
    f = r["footprint"]
    add("")
    add("6. footprint while the command runs (peak RSS = VmHWM; of it anonymous = RssAnon; PSS)")
    for tool in ("supervise", "flock"):
        add("   %-10s peak RSS %6d KiB   anonymous %6d KiB   PSS %6d KiB" % (tool, f[tool]["vm_hwm_kib"], f[tool]["rss_anon_kib"], f[tool]["pss_kib"]))
    add("   ratio      peak RSS %s" % ratio(f["supervise"]["vm_hwm_kib"], f["flock"]["vm_hwm_kib"]))
    return "\n".join(row.rstrip() for row in rows)


def machine():
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    layout = subprocess.run([SUPERVISE, "doctor"], capture_output=True, text=True).stdout.splitlines()
    rev = os.environ.get("BENCH_SOURCE") or subprocess.run(
        ["git", "-C", HERE, "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
    return "%d CPUs (%s), kernel %s, %s, load %s, source %s" % (
        os.cpu_count(), model, os.uname().release, layout[0] if layout else "?",
        open("/proc/loadavg").read().split()[0], rev or "?")


def world_rows(quick):
    """The overhead rows measured inside the QEMU guests and the container."""
    guest_rounds = 5 if quick else 30   # a process spawn costs ~80 ms under TCG
    host_rounds = 20 if quick else 200
    rows = []
    for label, world, rounds, driver, base in (
            ("cgroup2 (QEMU, v2)", "qemu-cgroup2", guest_rounds, "cgroup2", "flock"),
            ("systemd (QEMU, v2)", "qemu-systemd", guest_rounds, "systemd", "systemd-run"),
            ("systemd (container)", "systemd-container", host_rounds, "systemd", "systemd-run")):
        log("bench: overhead, %s driver in tests/worlds/%s.sh (%d rounds)" % (driver, world, rounds))
        rows.append((label, world_overhead(world, rounds, driver, base == "systemd-run"), base))
    return rows


def run_all(quick):
    rounds = 20 if quick else 200
    r = {"machine": machine()}
    log("bench: overhead, hybrid driver (%d alternating rounds)" % rounds)
    r["overhead"] = [("hybrid (host)", overhead(rounds, "hybrid"), "flock"),
                     ("cgroup2 (host)", overhead(3, "cgroup2"), "flock")]
    r["overhead"] += world_rows(quick)
    log("bench: handoff")
    r["handoff"] = handoff(20 if quick else 100)
    log("bench: herd")
    r["herd"] = [(n, herd(n)) for n in ((5, 10, 20) if quick else (10, 50, 100, 200))]
    clients, runs = (8, 10) if quick else (8, 100)
    r["throughput_desc"] = "%d clients x %d runs of true; flock with 4 slots: 4 files tried round-robin with -n, then block on one" % (clients, runs)
    log("bench: throughput")
    r["throughput"] = [(s, throughput(clients, runs, s)) for s in (1, 4)]
    log("bench: kill-all")
    r["kill_all"] = []
    for n in ((100, 1000) if quick else (100, 1000, 10000)):
        try:
            res = kill_all(n, 4)
            res.update(kill_floor(n, 4))
            r["kill_all"].append(res)
        except Exception as e:  # report, go on
            r["kill_all"].append({"error": "%d processes: %s" % (n, e)})
    log("bench: footprint")
    r["footprint"] = footprint()
    r["machine_after"] = "load %s" % open("/proc/loadavg").read().split()[0]
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["all", "worlds", "overhead", "handoff", "herd", "throughput", "kill-all", "footprint"])
    ap.add_argument("--quick", action="store_true", help="small counts, for development")
    ap.add_argument("--json", help="also write the raw results here")
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--driver")
    ap.add_argument("--systemd-run", action="store_true")
    ap.add_argument("-n", type=int, default=10)
    a = ap.parse_args()
    if a.what == "all":
        r = run_all(a.quick)
        if a.json:
            with open(a.json, "w") as f:
                json.dump(r, f, indent=1)
        print(table(r))
        print("   (load average at the end: %s)" % r["machine_after"])
        return
    if a.what == "worlds":
        print("supervise benchmark: %s" % machine())
        print("\n".join(row.rstrip() for row in overhead_table(world_rows(a.quick))))
        return
    one = {"overhead": lambda: overhead(a.rounds, a.driver, a.systemd_run), "handoff": lambda: handoff(a.n),
           "herd": lambda: herd(a.n), "throughput": lambda: throughput(8, a.n, 1),
           "kill-all": lambda: dict(kill_all(a.n, 4), **kill_floor(a.n, 4)),
           "footprint": footprint}[a.what]
    print(json.dumps(one()))


if __name__ == "__main__":
    main()
