"""T. TensorBoard event files, read by the tensorboard package's own reader:
  - a `revise train` run's <run>/tensorboard/ (no subdirectories) holds every scalar of its
    metrics.jsonl: tag = the key, step = the row's step, simple_value = the value as float32;
  - the same after the run was killed past a checkpoint and resumed: what the killed process
    logged beyond the checkpoint is dropped (SessionLog START), as metrics.jsonl drops it.
"""

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable

import numpy as np
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from report import Row
from revise_cli import ReviseError

STEPS = 8
TRAIN_YAML = """\
# A few SFT updates of the synthetic shape (the default) on the synthetic task.
run: {{name: interop-tb, seed: 0}}
algorithm: sft
sft: {{data: noisy_attempts, batch: 4}}
train: {{steps: {steps}}}
eval: {{problems: 4, every: 2}}
checkpoint: {{every: 3, keep_last: 1}}
"""


def ids() -> list[str]:
    return ["tensorboard:scalars", "tensorboard:resumed"]


def run(revise, work: Path, selected: Callable[[str], bool]) -> list[tuple]:
    jobs = []
    for rid in ids():
        if selected(rid):
            run_dir = work / "tb" / rid.split(":")[1]
            cfg = run_dir.with_suffix(".yaml")
            cfg.parent.mkdir(parents=True, exist_ok=True)
            cfg.write_text(TRAIN_YAML.format(steps=STEPS))
            fn = _train if rid.endswith("scalars") else _killed_and_resumed
            jobs.append((rid, run_dir, revise.submit(fn, revise, cfg, run_dir)))
    return jobs


def _train(revise, cfg: Path, run_dir: Path) -> float:
    t = time.monotonic()
    revise.checked(["train", "--config", str(cfg), "--run-dir", str(run_dir)])
    return time.monotonic() - t


def _killed_and_resumed(revise, cfg: Path, run_dir: Path) -> float:
    """SIGKILL once step 5 is logged (the checkpoint is at 3), then --resume to the end."""
    t = time.monotonic()
    p = subprocess.Popen([str(revise.launcher), "train", "--config", str(cfg), "--run-dir", str(run_dir)],
                         env=revise.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    metrics = run_dir / "metrics.jsonl"
    try:
        while p.poll() is None:
            if metrics.exists() and any(json.loads(line).get("step") == 5
                                        for line in metrics.read_text().splitlines() if line.strip()):
                break
            time.sleep(0.05)
    finally:
        if p.poll() is None:
            import os
            os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    if p.returncode == 0:
        raise ValueError("the run finished before it could be killed at step 5")
    revise.checked(["train", "--config", str(cfg), "--run-dir", str(run_dir), "--resume"])
    return time.monotonic() - t


def finish(job) -> Row:
    rid, run_dir, fut = job
    row = Row(rid, "tensorboard", rid.split(":")[1])
    try:
        row.seconds = fut.result()
    except Exception as e:
        row.notes.append(f"revise: {e.reason if isinstance(e, ReviseError) else repr(e)}")
        return row
    try:
        tb = run_dir / "tensorboard"
        if [p for p in tb.iterdir() if p.is_dir()]:
            return row.fail(f"{tb} has subdirectories")
        files = sorted(p.name for p in tb.iterdir() if p.name.startswith("events.out.tfevents."))
        acc = EventAccumulator(str(tb), size_guidance={"scalars": 0})  # 0: keep every event
        acc.Reload()
        got = {(tag, e.step): e.value for tag in acc.Tags()["scalars"] for e in acc.Scalars(tag)}
        counts = {}
        for tag in acc.Tags()["scalars"]:
            steps = [e.step for e in acc.Scalars(tag)]
            counts[tag] = len(steps) - len(set(steps))
        want = {}
        for line in (run_dir / "metrics.jsonl").read_text().splitlines():
            if line.strip():
                m = json.loads(line)
                for k, v in m.items():
                    if k != "step" and isinstance(v, (int, float)):
                        want[(k, m["step"])] = float(np.float32(v))
        row.cases = len(want)
        bad = [k for k in want if got.get(k) != want[k]] + [k for k in got if k not in want]
        dup = [t for t, n in counts.items() if n]
        row.mismatches = len(bad) + len(dup)
        row.passed = not bad and not dup and len(want) > 0 and (rid.endswith("scalars") or len(files) == 2)
        row.detail = f"{len(want)} scalars, {len(files)} event file(s)"
        if bad:
            k = bad[0]
            row.detail += f"; first mismatch {k}: tensorboard {got.get(k)} vs metrics.jsonl {want.get(k)}"
        if dup:
            row.detail += f"; steps shown twice for {dup[:3]}"
        if not rid.endswith("scalars") and len(files) != 2:
            row.detail += f"; expected 2 event files (killed + resumed), found {files}"
    except Exception as e:
        row.notes.append(f"reading the event files failed: {e!r}")
    return row
