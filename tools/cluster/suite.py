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


DRIVER_ENV = dict(os.environ)


def train(run_dir, *extra, background=False):
    cmd = [REVISE, "train", *SMOKE, "--run-dir", run_dir, *extra]
    out = open(run_dir + ".log", "w")
    p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=REPO, env=DRIVER_ENV)
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


def gcs(args):
    from ray._raylet import GcsClient
    return GcsClient(address=args.address)


def rollout_actors(args):
    """(actor id, pid, raylet socket, on the head node) of each alive rollout actor, from the head's
    actor table."""
    import asyncio

    async def actors():
        client = gcs(args)  # held: a collected client never completes its future
        return await client.async_get_all_actor_info(actor_state_name="ALIVE", timeout=10)

    nodes = {n.node_id: n for n in gcs(args).get_all_node_info(timeout=10).values()}
    out = []
    for a in asyncio.run(actors()).values():
        if "RolloutActor" in a.class_name and a.node_id in nodes:
            node = nodes[a.node_id]
            out.append((a.actor_id, a.pid, node.raylet_socket_name, node.is_head_node))
    return out


def wait_for_actors(args, n, before, timeout=120):
    """The alive rollout actors once there are {@code n} that were not in {@code before} (earlier runs)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [a for a in rollout_actors(args) if a[0] not in before]
        if len(found) >= n:
            return found
        time.sleep(0.5)
    raise AssertionError(f"fewer than {n} alive rollout actors after {timeout}s: {rollout_actors(args)}")


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
                          cwd=REPO, capture_output=True, text=True, env=DRIVER_ENV)
    text = code.stdout + code.stderr
    if code.returncode == 0 or "worker_node" not in text or "rollout.workers=3" not in text:
        raise AssertionError(f"expected a refusal naming rollout.workers=3 and worker_node, got exit "
                             f"{code.returncode}: {text[-600:]}")


def check_actor_killed(args, w):
    """SIGKILL of a rollout actor's JVM mid-run: replaced, its unit resubmitted, same final weights."""
    reference = f"{w}/cluster"
    if not os.path.exists(f"{reference}/metrics.jsonl"):
        train(reference, *cluster(args))
    before = {a[0] for a in rollout_actors(args)}
    p = train(f"{w}/actor-killed", *cluster(args), background=True)
    wait_for_lines(f"{w}/actor-killed", 1, p)
    pid = wait_for_actors(args, 2, before)[0][1]
    os.kill(pid, signal.SIGKILL)
    log(f"killed actor JVM {pid} after update 1")
    code = p.wait(timeout=600)
    if code != 0:
        raise AssertionError(f"the run did not survive its actor's death (exit {code}): " +
                             tail(f"{w}/actor-killed.log"))
    if "replacing it" not in open(f"{w}/actor-killed.log", errors="replace").read():
        raise AssertionError("no actor was replaced: the killed JVM hosted none")
    same_run(f"{w}/actor-killed", reference)


def raylet_of(args, resource):
    """pid of this cluster's raylet whose node offers {@code resource}."""
    for pid in subprocess.run(["pgrep", "-f", "raylet/raylet"], capture_output=True, text=True).stdout.split():
        try:
            argv = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace").split("\0")
        except OSError:
            continue
        if any(args.ray_tmp in a for a in argv) and any(
                a.startswith("--static_resource_list=") and f",{resource},1" in "," + a.split("=", 1)[1]
                for a in argv):
            return int(pid)
    raise AssertionError(f"no raylet of this cluster offers {resource}")


def start_node(args, ip, resources):
    subprocess.run(["ray", "start", f"--address={args.address}", "--num-cpus=2", f"--resources={resources}",
                    f"--node-ip-address={ip}", f"--temp-dir={args.ray_tmp}", "--object-store-memory=100000000",
                    "--disable-usage-stats"], check=True, capture_output=True)


def raylet_of_an_actor(args, before):
    """pid of the raylet of a worker node that hosts an actor of this run (the head hosts the driver)."""
    actors = wait_for_actors(args, 2, before)
    on_workers = [a for a in actors if not a[3]]
    if not on_workers:
        raise AssertionError(f"every rollout actor sits on the head node: {actors}")
    return raylet_by_socket(args, on_workers[0][2])


def raylet_by_socket(args, socket):
    for pid in subprocess.run(["pgrep", "-f", "raylet/raylet"], capture_output=True, text=True).stdout.split():
        try:
            argv = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace").split("\0")
        except OSError:
            continue
        if f"--raylet_socket_name={socket}" in argv:
            return int(pid)
    raise AssertionError(f"no raylet of this cluster listens on {socket}")


def wait_until_dead_nodes(args, n, timeout=90):
    """Waits until the head counts {@code n} dead nodes (a killed raylet is noticed by heartbeat)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        nodes = gcs(args).get_all_node_info(timeout=10)
        dead = sum(1 for info in nodes.values() if info.state != 0)  # 0: ALIVE
        if dead >= n:
            return
        time.sleep(1)
    raise AssertionError(f"the head did not mark {n} node(s) dead within {timeout}s")


def released_then_resumed(args, before, run, reference, what):
    """The driver's actor JVMs are gone within 90 s, and --resume on the cluster ends bit-identical to the reference."""
    deadline = time.monotonic() + 90
    while len(java_workers(args)) > before and time.monotonic() < deadline:
        time.sleep(0.5)
    left = len(java_workers(args)) - before
    if left > 0:
        raise AssertionError(f"{left} actor JVM(s) of the {what} driver still run after 90 s")
    code = subprocess.run([REVISE, "train", "--run-dir", run, "--resume"], cwd=REPO, env=DRIVER_ENV,
                          stdout=open(run + "-resume.log", "w"), stderr=subprocess.STDOUT).returncode
    if code != 0:
        raise AssertionError(f"--resume exited {code}: " + tail(run + "-resume.log"))
    same_run(run, reference)


def check_driver_killed(args, w):
    """SIGKILL of the driver mid-run, then --resume on the same cluster: bit-identical, no actor left behind."""
    reference = f"{w}/cluster"
    if not os.path.exists(f"{reference}/metrics.jsonl"):
        train(reference, *cluster(args))
    before = len(java_workers(args))
    run = f"{w}/driver-killed"
    p = train(run, *cluster(args), background=True)
    wait_for_lines(run, 2, p)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    log(f"killed the driver {p.pid} after update 2")
    released_then_resumed(args, before, run, reference, "dead")


def check_driver_preempted(args, w):
    """SIGTERM to the driver mid-run: checkpoint of the update in flight, exit 143, actors released, --resume bit-identical."""
    reference = f"{w}/cluster"
    if not os.path.exists(f"{reference}/metrics.jsonl"):
        train(reference, *cluster(args))
    before = len(java_workers(args))
    run = f"{w}/driver-preempted"
    p = train(run, *cluster(args), background=True)
    wait_for_lines(run, 2, p)
    os.kill(p.pid, signal.SIGTERM)  # the launcher's JVM: it forwards the signal to the cluster's driver JVM
    code = p.wait(timeout=120)
    if code != 143:
        raise AssertionError(f"the preempted driver exited {code}, not 143: " + tail(run + ".log"))
    steps = [json.loads(line)["step"] for line in open(f"{run}/metrics.jsonl") if line.strip()]
    latest = open(f"{run}/checkpoints/latest").read().strip()
    if latest != f"step-{steps[-1]:06d}":
        raise AssertionError(f"latest checkpoint {latest}, but the run logged step {steps[-1]}: work lost")
    log(f"SIGTERM after update 2: stopped after step {steps[-1]}, exit 143")
    released_then_resumed(args, before, run, reference, "preempted")


def check_node_killed(args, w):
    """A worker node's raylet killed mid-run: its actor moves to the surviving node, same weights."""
    reference = f"{w}/cluster"
    if not os.path.exists(f"{reference}/metrics.jsonl"):
        train(reference, *cluster(args))
    run = f"{w}/node-killed"
    # a CPU each, no custom resource: either worker node may host either actor, not the head (0 CPUs;
    # with no resources at all, Ray may place Java actors there)
    before = {a[0] for a in rollout_actors(args)}
    p = train(run, "--set", f"rollout.ray_address={args.address}", "--set", "rollout.workers=2",
              "--set", "rollout.cpus_per_worker=1", background=True)
    wait_for_lines(run, 1, p)
    # the head's actor table says where the actors are (Ray reuses idle worker JVMs of earlier jobs,
    # so a JVM's age says nothing); the driver sits on the head node, which hosts no actor
    raylet = raylet_of_an_actor(args, before)
    os.kill(raylet, signal.SIGKILL)
    log(f"killed the raylet {raylet} of an actor's node after update 1")
    code = p.wait(timeout=600)
    if code != 0:
        raise AssertionError(f"the run did not survive the node's death (exit {code}): " + tail(run + ".log"))
    if "replacing it" not in open(run + ".log", errors="replace").read():
        raise AssertionError("no actor was replaced: the killed node hosted none")
    same_run(run, reference)
    wait_until_dead_nodes(args, 1)


def check_no_capacity(args, w):
    """With one worker node dead, actors that each need a worker node lose another: the run stops naming it."""
    start_node(args, "127.0.0.4", '{"worker_node": 1, "node_c": 1}')
    run = f"{w}/no-capacity"
    wait_until_dead_nodes(args, 1)
    before = {a[0] for a in rollout_actors(args)}
    # long enough that the node's death is noticed before the run would end
    p = train(run, *cluster(args), "--set", "score.stage2_steps=40", background=True)
    wait_for_lines(run, 1, p)
    raylet = raylet_of_an_actor(args, before)
    os.kill(raylet, signal.SIGKILL)
    log(f"killed the raylet {raylet} of an actor's node after update 1")
    try:
        code = p.wait(timeout=300)
    except subprocess.TimeoutExpired:
        p.kill()  # its relaunched driver follows it
        raise AssertionError("the run neither finished nor stopped within 300 s of the node's death")
    text = open(run + ".log", errors="replace").read()
    if code == 0 or "cannot be replaced" not in text or "dead nodes" not in text:
        raise AssertionError(f"expected a stop naming the dead node and the actor, got exit {code}: " + tail(run + ".log"))


def sweep(args, d, background=False):
    cmd = [REVISE, "sweep", *SMOKE, "--set", "rollout.backend=local", "--seeds", "2", "--dir", d,
           "--on-ray", "--ray-address", args.address, "--parallel", "2"]
    out = open(d + ".log", "a")
    p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=REPO, env=DRIVER_ENV)
    return p if background else p.wait()


def check_sweep_task_killed(args, w):
    """Two runs of sweep --on-ray in parallel, one run's task JVM killed: the sweep fails naming it, and
    running it again resumes it; every run ends as in an undisturbed sweep."""
    ref, hit = f"{w}/sweep-ref", f"{w}/sweep-killed"
    if sweep(args, ref) != 0:
        raise AssertionError("the undisturbed sweep failed: " + tail(ref + ".log"))
    before = set(java_workers(args))
    p = sweep(args, hit, background=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not glob.glob(f"{hit}/**/metrics.jsonl", recursive=True):
        if p.poll() is not None:
            raise AssertionError(f"the sweep ended (exit {p.returncode}) before any update: " + tail(hit + ".log"))
        time.sleep(0.2)
    tasks = [pid for pid in java_workers(args) if pid not in before]
    if not tasks:
        raise AssertionError("no task JVM of the sweep found")
    os.kill(tasks[0], signal.SIGKILL)
    log(f"killed the sweep task JVM {tasks[0]}")
    first = p.wait(timeout=600)
    if first == 0:
        raise AssertionError("the sweep reported success though one of its task JVMs was killed")
    if sweep(args, hit) != 0:
        raise AssertionError("running the sweep again did not finish it: " + tail(hit + ".log"))
    runs = sorted(os.path.relpath(os.path.dirname(m), ref)
                  for m in glob.glob(f"{ref}/**/metrics.jsonl", recursive=True))
    if len(runs) != 2:
        raise AssertionError(f"expected 2 runs in the undisturbed sweep, found {runs}")
    for r in runs:
        same_run(f"{hit}/{r}", f"{ref}/{r}")


# node checks last: they take worker nodes away
CHECKS = [check_same_as_local, check_capacity, check_actor_killed, check_driver_killed, check_driver_preempted, check_sweep_task_killed,
          check_node_killed, check_no_capacity]


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
