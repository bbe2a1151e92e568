#!/usr/bin/env python3
"""Soak test (not run by CI): 1,000 updates of experiments/configs/smoke.yaml (SCoRe, tiny shape,
2 Ray actors in LOCAL mode, evaluations and checkpoints on schedule), sampling the training JVM
every 100 updates: RSS and open file descriptors from /proc, threads, and the JVM's native memory
(Native Memory Tracking, committed). Prints a table and the least-squares slope of each per 100
updates, and writes them to <out>/soak.json. A leak shows as a slope that does not vanish with the
warm-up left out (the first sample is taken after 100 updates).

  tools/soak/soak.py [--updates 1000] [--every 100] [--out target/soak]

Needs the jar (mvn -B -q package -DskipTests) and a JDK's jcmd on PATH. On 2 cores: ~10 minutes.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def steps(metrics):
    try:
        with open(metrics) as f:
            return sum(1 for line in f if line.endswith("}\n"))
    except FileNotFoundError:
        return 0


def proc_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def nmt_committed_kb(pid):
    out = subprocess.run(["jcmd", str(pid), "VM.native_memory", "summary"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("Total:"):  # Total: reserved=...KB, committed=...KB
            return int(line.split("committed=")[1].split("KB")[0])
    return -1


def slope(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--updates", type=int, default=1000)
    ap.add_argument("--every", type=int, default=100)
    ap.add_argument("--out", default=os.path.join(REPO, "target", "soak"))
    a = ap.parse_args()
    if shutil.which("jcmd") is None:
        sys.exit("soak: jcmd (from a JDK) is not on PATH")
    run = os.path.join(a.out, "run")
    shutil.rmtree(a.out, ignore_errors=True)
    os.makedirs(a.out)
    half = a.updates // 2
    env = dict(os.environ, OPT_OUT_TRACKING="true",
               REVISE_JAVA_OPTS=(os.environ.get("REVISE_JAVA_OPTS", "") + " -XX:NativeMemoryTracking=summary").strip())
    cmd = [os.path.join(REPO, "revise"), "train", "--config", os.path.join(REPO, "experiments/configs/smoke.yaml"),
           "--set", f"score.stage1_steps={half}", "--set", f"score.stage2_steps={a.updates - half}",
           "--set", "eval.every=100", "--set", "checkpoint.every=100", "--run-dir", run]
    log = open(os.path.join(a.out, "train.log"), "w")
    p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO)
    rows = []
    started = time.monotonic()
    next_at = a.every
    while p.poll() is None and next_at <= a.updates:
        done = steps(os.path.join(run, "metrics.jsonl"))
        if done >= next_at:
            try:
                row = {"update": done, "rss_mb": proc_kb(p.pid, "VmRSS") / 1024,
                       "native_committed_mb": nmt_committed_kb(p.pid) / 1024,
                       "fds": len(os.listdir(f"/proc/{p.pid}/fd")), "threads": proc_kb(p.pid, "Threads"),
                       "seconds": round(time.monotonic() - started, 1)}
            except (FileNotFoundError, ProcessLookupError):
                break  # it ended between two looks
            if row["native_committed_mb"] < 0 or p.poll() is not None:
                break  # the JVM was exiting as it was sampled
            rows.append(row)
            print(" ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()), flush=True)
            next_at += a.every
        time.sleep(0.2)
    code = p.wait()
    if code != 0:
        sys.exit(f"soak: revise train exited {code}; see {a.out}/train.log")
    if len(rows) < 3:
        sys.exit(f"soak: only {len(rows)} samples; the run was too fast to sample (see {a.out}/train.log)")
    xs = [r["update"] / 100 for r in rows]
    slopes = {k: round(slope(xs, [r[k] for r in rows]), 3) for k in ("rss_mb", "native_committed_mb", "fds", "threads")}
    later = rows[len(rows) // 2:]  # the second half: past the allocator's and JIT's warm-up
    slopes_late = {k: round(slope([r["update"] / 100 for r in later], [r[k] for r in later]), 3)
                   for k in slopes} if len(later) >= 3 else {}
    result = {"updates": a.updates, "samples": rows, "slope_per_100_updates": slopes,
              "slope_per_100_updates_second_half": slopes_late}
    with open(os.path.join(a.out, "soak.json"), "w") as f:
        json.dump(result, f, indent=2)
    print("slopes per 100 updates (all samples):", json.dumps(slopes))
    print("slopes per 100 updates (second half):", json.dumps(slopes_late))
    print(os.path.join(a.out, "soak.json"))


if __name__ == "__main__":
    main()
