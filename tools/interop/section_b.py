"""B. revise -> transformers: `revise train` starts from a transformers-built checkpoint, runs a few
SFT updates on the built-in synthetic task and writes a checkpoint that transformers must load
as-is (no missing, unexpected or mismatched keys) and score exactly as `revise logprobs` does.

The JVM work (train, then logprobs on the written checkpoint) runs on the pool; the Python checks
run afterwards in the main thread (torch and the checkpoint cache are used from one thread).
"""

import json
import struct
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Callable

import torch
from safetensors.torch import load_file
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, GenerationConfig

import hf_models as hm
from report import TOLERANCE, Row
from revise_cli import ReviseError

SHARD_SIZE = "40KB"  # the models are 150-700 KB: this gives several shards
STEPS = 3
# (case, checkpoint.dtype, sharded): the full matrix for llama and qwen3, one run for the others.
RUNS = [(c, dt, sh) for c in ("llama/default", "qwen3/qk-norm")
        for dt in ("float32", "bfloat16") for sh in (False, True)]
RUNS += [("qwen2/qkv-bias", "bfloat16", True), ("mistral/sliding-16", "bfloat16", True),
         ("smollm2/tied-theta1e5", "bfloat16", True)]
SAMPLE_TEXT = "7+5=12, 12-3=9\nanswer: 9 <eos>"

TRAIN_YAML = """\
# A few SFT updates on the synthetic arithmetic task, starting from a transformers checkpoint.
run: {{name: {name}, seed: 0}}
algorithm: sft
policy: {{checkpoint: {checkpoint}, chat_format: plain}}
sft: {{data: noisy_attempts, batch: 8}}
train: {{steps: {steps}, lr: 3.0e-3}}
eval: {{problems: 4}}
rollout: {{backend: local, workers: 1}}
checkpoint: {{keep_last: 1}}
"""


def _id(case_name: str, dtype: str, sharded: bool) -> str:
    return f"revise-to-hf:{case_name}:{dtype}:{'sharded' if sharded else 'single'}:hf5"


def ids() -> list[str]:
    return [_id(*r) for r in RUNS]


def run(ck, revise, selected: Callable[[str], bool]) -> list[tuple]:
    jobs = []
    for case_name, dtype, sharded in RUNS:
        rid = _id(case_name, dtype, sharded)
        if not selected(rid):
            continue
        case = hm.BY_NAME[case_name]
        row = Row(rid, "revise-to-hf", case_name, dtype, "sharded" if sharded else "single", "hf5")
        try:
            start = ck.dir(case, "float32", False, "hf5")
        except Exception as e:  # a Python-side failure: finish() reports it on the row
            fut = Future()
            fut.set_exception(RuntimeError(f"building the start checkpoint failed: {e!r}"))
            jobs.append((row, None, None, sharded, fut))
            continue
        run_dir = ck.root / "runs" / rid.split(":", 1)[1].replace(":", "--").replace("/", "--")
        cfg = run_dir.with_suffix(".yaml")
        cfg.parent.mkdir(parents=True, exist_ok=True)
        cfg.write_text(TRAIN_YAML.format(name="interop", checkpoint=json.dumps(str(start)), steps=STEPS))
        sets = ["--set", f"checkpoint.dtype={dtype}"]
        if sharded:
            sets += ["--set", f"checkpoint.max_shard_size={SHARD_SIZE}"]
        seqs = ck.seqs(case)
        fut = revise.submit(_train_and_score, revise, cfg, run_dir, sets, seqs)
        jobs.append((row, seqs, start, sharded, fut))
    return jobs


def _train_and_score(revise, cfg: Path, run_dir: Path, sets: list[str], seqs):
    """JVM side: train, then `revise logprobs --batch` on the checkpoint it wrote."""
    t = time.monotonic()
    revise.checked(["train", "--config", str(cfg), "--run-dir", str(run_dir), *sets])
    steps = sorted((run_dir / "checkpoints").glob("step-*"))
    if not steps:
        raise ValueError(f"revise train wrote no checkpoint under {run_dir}/checkpoints")
    written = steps[-1]
    try:  # a logprobs failure still leaves the written checkpoint for the Python checks
        lp = revise.logprobs_batch(written, seqs, "written-" + run_dir.name)
    except Exception as e:  # ReviseError, or output that is not the contract's JSON
        lp = f"revise logprobs: {e.reason if isinstance(e, ReviseError) else repr(e)}"
    return written, lp, time.monotonic() - t


def finish(job) -> Row:
    row, seqs, start, sharded, fut = job
    try:
        written, revise_lp, row.seconds = fut.result()
    except Exception as e:
        row.notes.append(f"revise: {e.reason if isinstance(e, ReviseError) else repr(e)}")
        return row
    t = time.monotonic()
    row.detail = f"wrote {written.name}: " + ", ".join(sorted(p.name for p in written.iterdir()))[:160]
    checks = [
        lambda: _files(written, row.dtype, sharded),
        lambda: _loads_and_scores(row, written, revise_lp, seqs),
        lambda: _config_kept(start, written),
        lambda: _weights_changed(start, written, row.dtype),
        lambda: _generation_config(start, written),
        lambda: _tokenizer(start, written),
    ]
    for check in checks:
        try:
            problem = check()
        except Exception as e:
            problem = f"{type(e).__name__}: {str(e)[:200]}"
        if problem:
            row.notes.append(problem)
    row.passed = not row.notes and row.max_abs_diff is not None and row.max_abs_diff <= TOLERANCE
    row.seconds += time.monotonic() - t
    return row


def _safetensors_dtypes(f: Path) -> set[str]:
    with open(f, "rb") as fh:
        n = struct.unpack("<Q", fh.read(8))[0]
        header = json.loads(fh.read(n))
    return {v["dtype"] for k, v in header.items() if k != "__metadata__"}


def _files(d: Path, dtype: str, sharded: bool) -> str | None:
    index = d / "model.safetensors.index.json"
    if sharded:
        if not index.exists():
            return "sharding asked for but no model.safetensors.index.json"
        files = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        if len(files) < 2 or (d / "model.safetensors").exists():
            return f"sharded checkpoint has {len(files)} shard(s) (and model.safetensors: {(d / 'model.safetensors').exists()})"
    else:
        if index.exists() or not (d / "model.safetensors").exists():
            return "expected a single model.safetensors and no index"
        files = ["model.safetensors"]
    want = {"float32": "F32", "bfloat16": "BF16"}[dtype]
    got = set().union(*(_safetensors_dtypes(d / f) for f in files))
    if got != {want}:
        return f"weights stored as {sorted(got)}, checkpoint.dtype asked for {want}"
    cfg = json.loads((d / "config.json").read_text())
    if cfg.get("dtype", cfg.get("torch_dtype")) != dtype:
        return f"config.json says dtype {cfg.get('dtype', cfg.get('torch_dtype'))}, weights are {dtype}"
    return None


def _loads_and_scores(row: Row, d: Path, revise_lp, seqs) -> str | None:
    model, info = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32, attn_implementation="eager",
                                                       output_loading_info=True)
    bad = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys",
                                                        "error_msgs")}
    problems = []
    if bad:
        problems.append(f"transformers loading info: {json.dumps({k: sorted(map(str, v))[:6] for k, v in bad.items()})}")
    if isinstance(revise_lp, str):
        return "; ".join(problems + [revise_lp])
    ref = hm.logprobs(model.eval(), seqs)
    row.max_abs_diff = hm.max_abs_diff(revise_lp, ref)
    if not row.max_abs_diff <= TOLERANCE:
        problems.append(f"log-probs differ by more than {TOLERANCE:g}")
    return "; ".join(problems) or None


# config.json keys that define the model's math. Parity of log-probs alone would miss a key that
# revise drops on both sides: e.g. a lost sliding_window or rope_theta makes transformers and
# revise agree with each other on a model that is no longer the one training started from.
MATH_KEYS = ("model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
             "num_attention_heads", "num_key_value_heads", "head_dim", "hidden_act", "rms_norm_eps",
             "rope_parameters", "tie_word_embeddings", "attention_bias", "mlp_bias", "sliding_window",
             "use_sliding_window", "max_window_layers", "layer_types", "max_position_embeddings")


def _config_kept(start: Path, written: Path) -> str | None:
    a, b = AutoConfig.from_pretrained(start).to_dict(), AutoConfig.from_pretrained(written).to_dict()
    # Only the keys the family's config class has: an extra attention_bias on mistral changes nothing.
    changed = [f"{k} {a.get(k)} -> {b.get(k)}" for k in MATH_KEYS if k in a and a.get(k) != b.get(k)]
    return "written config.json changes the model: " + "; ".join(changed) if changed else None


def _weights_changed(start: Path, written: Path, dtype: str) -> str | None:
    """Training must have moved every tensor beyond the rounding to the written dtype."""
    a, b = _state(start), _state(written)
    if set(a) != set(b):
        return f"tensor names differ: only in start {sorted(set(a) - set(b))[:4]}, only in written {sorted(set(b) - set(a))[:4]}"
    rounded = (lambda t: t.to(torch.bfloat16).float()) if dtype == "bfloat16" else (lambda t: t)
    same = [k for k in a if torch.equal(rounded(a[k]), b[k])]
    if same:
        return f"{len(same)}/{len(a)} tensors unchanged by training, e.g. {same[0]}"
    return None


def _state(d: Path) -> dict[str, torch.Tensor]:
    files = [d / "model.safetensors"] if (d / "model.safetensors").exists() else sorted(d.glob("model-*.safetensors"))
    out = {}
    for f in files:
        out.update({k: v.float() for k, v in load_file(f).items()})
    return out


def _generation_config(start: Path, written: Path) -> str | None:
    if not (written / "generation_config.json").exists():
        return "no generation_config.json written"
    want = GenerationConfig.from_pretrained(start).eos_token_id
    got = GenerationConfig.from_pretrained(written).eos_token_id
    return None if got == want else f"generation_config eos_token_id {got}, the start had {want}"


def _tokenizer(start: Path, written: Path) -> str | None:
    """AutoTokenizer must load the written checkpoint and encode as it does the start. (Compared
    with the start through AutoTokenizer, not tokenizers: for a qwen2 directory transformers picks
    Qwen2Tokenizer from config.json and re-builds the char-level pipeline, on both sides alike.)"""
    want = AutoTokenizer.from_pretrained(start).encode(SAMPLE_TEXT, add_special_tokens=False)
    got = AutoTokenizer.from_pretrained(written).encode(SAMPLE_TEXT, add_special_tokens=False)
    return None if got == want else f"AutoTokenizer on the written checkpoint encodes {got[:8]}..., the start {want[:8]}..."
