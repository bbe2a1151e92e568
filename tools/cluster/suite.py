"""revise on a real Ray cluster (started by tools/cluster/run.sh): each check runs ./revise against
it and compares with runs that need no cluster. Exits 1 if any check fails."""

import argparse
import glob
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REVISE = os.path.join(REPO, "revise")
# a SCoRe smoke run small enough for 2 cores: 3 updates of 4 tasks x 2 samples
SMOKE = [
    "--config", os.path.join(REPO, "experiments/configs/smoke.yaml"),
    "--set", "score.stage1_steps=2", "--set", "score.stage2_steps=2",
    "--set", "eval.problems=10", "--set", "checkpoint.every=1", "--set", "checkpoint.keep_last=8",
    "--set", "rollout.tasks_per_unit=1",
]


def log(msg):
    print(f"[cluster {time.monotonic() - START:6.1f}s] {msg}", flush=True)


def train(run_dir, *extra, background=False):
    cmd = [REVISE, "train", *SMOKE, "--run-dir", run_dir, *extra]
    out = open(run_dir + ".log", "w")
    p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
    if background:
        return p
    code = p.wait()
    if code != 0:
        raise AssertionError(f"revise train exited {code}: see {run_dir}.log\n" + tail(run_dir + ".log"))
    return code


def tail(path, n=15):
    with open(path, errors="replace") as f:
        return "".join(f.readlines()[-n:])


def weights(run_dir, step):
    files = sorted(glob.glob(f"{run_dir}/checkpoints/step-{step:06d}/*.safetensors"))
    if not files:
        raise AssertionError(f"{run_dir} has no checkpoint at step {step}")
    return {os.path.basename(f): hashlib.sha256(open(f, "rb").read()).hexdigest() for f in files}


def metrics(run_dir):
    out = []
    for line in open(f"{run_dir}/metrics.jsonl"):
        m = json.loads(line)
        out.append({k: v for k, v in m.items() if not k.startswith("perf/")})
    return out


def same_run(a, b, step=4):
    wa, wb = weights(a, step), weights(b, step)
    if wa != wb:
        raise AssertionError(f"final weights differ: {a} vs {b}")
    ma, mb = metrics(a), metrics(b)
    if ma != mb:
        diff = [(m["step"], k) for m, n in zip(ma, mb) for k in m if m.get(k) != n.get(k)]
        raise AssertionError(f"metrics differ between {a} and {b}: {diff[:5]}")


def cluster(args, workers=2):
    return ["--set", f"rollout.ray_address={args.address}", "--set", f"rollout.workers={workers}",
            "--set", "rollout.resources_per_worker={worker_node: 1}"]


def java_workers(args):
    """pids of this cluster's Java worker JVMs (the rollout actors)."""
    out = subprocess.run(["pgrep", "-f", "io.ray.runtime.runner.worker.DefaultWorker"],
                         capture_output=True, text=True).stdout.split()
    mine = []
    for pid in out:
        try:
            argv = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace").split("\0")
        except OSError:
            continue
        # a raylet's command line names the worker class too (its worker command template)
        if os.path.basename(argv[0]) == "java" and any(args.ray_tmp in a for a in argv):
            mine.append(int(pid))
    return mine


def wait_for_lines(run_dir, n, proc, timeout=300):
    deadline = time.monotonic() + timeout
    path = f"{run_dir}/metrics.jsonl"
    while time.monotonic() < deadline:
        if os.path.exists(path) and sum(1 for _ in open(path)) >= n:
            return
        if proc.poll() is not None:
            raise AssertionError(f"the run ended (exit {proc.returncode}) before update {n}: " + tail(run_dir + ".log"))
        time.sleep(0.2)
    raise AssertionError(f"no update {n} within {timeout}s")


def check_same_as_local(args, w):
    """Actors on the two worker nodes give the same trajectories and weights as LOCAL mode and threads."""
    train(f"{w}/threads", "--set", "rollout.backend=local", "--set", "rollout.workers=2")
    train(f"{w}/local-mode", "--set", "rollout.workers=2")
    train(f"{w}/cluster", *cluster(args))
    same_run(f"{w}/cluster", f"{w}/local-mode")
    same_run(f"{w}/cluster", f"{w}/threads")


def check_capacity(args, w):
    """Three actors that each need a worker node, on two worker nodes: refused, naming the resources."""
    code = subprocess.run([REVISE, "train", *SMOKE, "--run-dir", f"{w}/too-many", *cluster(args, workers=3)],
                          cwd=REPO, capture_output=True, text=True)
    text = code.stdout + code.stderr
    if code.returncode == 0 or "worker_node" not in text or "rollout.workers=3" not in text:
        raise AssertionError(f"expected a refusal naming rollout.workers=3 and worker_node, got exit "
                             f"{code.returncode}: {text[-600:]}")


def check_actor_killed(args, w):
    """SIGKILL of a rollout actor's JVM mid-run: replaced, its unit resubmitted, same final weights."""
    reference = f"{w}/cluster"
    if not os.path.exists(f"{reference}/metrics.jsonl"):
        train(reference, *cluster(args))
    p = train(f"{w}/actor-killed", *cluster(args), background=True)
    wait_for_lines(f"{w}/actor-killed", 1, p)
    pids = java_workers(args)
    if not pids:
        raise AssertionError("no Java worker JVM of this cluster found to kill")
    os.kill(pids[0], signal.SIGKILL)
    log(f"killed actor JVM {pids[0]} after update 1")
    code = p.wait(timeout=600)
    if code != 0:
        raise AssertionError(f"the run did not survive its actor's death (exit {code}): " +
                             tail(f"{w}/actor-killed.log"))
    same_run(f"{w}/actor-killed", reference)


CHECKS = [check_same_as_local, check_capacity, check_actor_killed]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--address", required=True)
    ap.add_argument("--ray-tmp", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    subprocess.run([REVISE, "--help"], cwd=REPO, check=True, capture_output=True)  # builds the jar once
    failed = []
    for check in CHECKS:
        name = check.__name__.removeprefix("check_")
        if not re.search(args.only, name):
            continue
        t = time.monotonic()
        try:
            check(args, args.work)
            log(f"PASS {name} ({time.monotonic() - t:.0f}s)")
        except Exception as e:  # noqa: BLE001 - every failure is reported, then the next check runs
            failed.append(name)
            log(f"FAIL {name}: {e}")
    log("all checks passed" if not failed else f"failed: {', '.join(failed)}")
    sys.exit(1 if failed else 0)


START = time.monotonic()
if __name__ == "__main__":
    main()
