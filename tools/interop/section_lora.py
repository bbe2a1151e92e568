"""L. LoRA adapters, revise <-> PEFT:
  - revise -> PEFT: `revise train` with policy.lora.* from a transformers checkpoint writes a PEFT
    adapter directory; PEFT loads it onto the transformers base (no missing or unexpected keys)
    and scores as `revise logprobs` scores the adapter directory; `revise export --merge` writes a
    plain model that transformers scores the same;
  - PEFT -> revise: an adapter written by PEFT's save_pretrained (random A and B) scores in
    `revise logprobs` as PEFT scores it, and its `revise export --merge` as PEFT's
    merge_and_unload.
"""

import json
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Callable

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from safetensors.torch import load_file

import hf_models as hm
from report import TOLERANCE, Row
from revise_cli import ReviseError

CASES = ["llama/default", "qwen3/qk-norm", "qwen2/qkv-bias"]
STEPS = 3
TRAIN_YAML = """\
# A few SFT updates of a LoRA adapter on the synthetic task, from a transformers checkpoint.
run: {{name: interop-lora, seed: 0}}
algorithm: sft
policy:
  checkpoint: {checkpoint}
  chat_format: plain
  lora: {{rank: 4, alpha: 8.0, targets: {targets}}}
sft: {{data: noisy_attempts, batch: 8}}
train: {{steps: {steps}, lr: 3.0e-2}}
eval: {{problems: 4}}
rollout: {{backend: local, workers: 1}}
checkpoint: {{keep_last: 1}}
"""
TRAIN_TARGETS = {"llama/default": "[q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj]",
                 "qwen3/qk-norm": "[q_proj, v_proj, down_proj]", "qwen2/qkv-bias": "[k_proj, o_proj, up_proj]"}
PEFT_TARGETS = {"llama/default": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
                "qwen3/qk-norm": ["v_proj", "gate_proj"], "qwen2/qkv-bias": ["q_proj", "down_proj"]}


def ids() -> list[str]:
    return [f"lora:{d}:{c}" for c in CASES for d in ("revise-to-peft", "peft-to-revise")]


def run(ck, revise, selected: Callable[[str], bool]) -> list[tuple]:
    jobs = []
    for case_name in CASES:
        case = hm.BY_NAME[case_name]
        for direction in ("revise-to-peft", "peft-to-revise"):
            rid = f"lora:{direction}:{case_name}"
            if not selected(rid):
                continue
            row = Row(rid, "lora", f"{direction} {case_name}", "float32", "single", "hf5")
            try:
                base = ck.dir(case, "float32", False, "hf5")
                seqs = ck.seqs(case)
                if direction == "revise-to-peft":
                    run_dir = ck.root / "lora-runs" / case_name.replace("/", "--")
                    cfg = run_dir.with_suffix(".yaml")
                    cfg.parent.mkdir(parents=True, exist_ok=True)
                    cfg.write_text(TRAIN_YAML.format(checkpoint=json.dumps(str(base)), steps=STEPS,
                                                     targets=TRAIN_TARGETS[case_name]))
                    fut = revise.submit(_train, revise, cfg, run_dir, seqs)
                else:
                    adapter = _peft_adapter(ck, case, base)
                    fut = revise.submit(_score, revise, adapter, seqs)
            except Exception as e:  # a Python-side failure: finish() reports it on the row
                fut = Future()
                fut.set_exception(RuntimeError(f"preparing the check failed: {e!r}"))
                base = seqs = None
            jobs.append((row, direction, base, seqs, fut))
    return jobs


def _train(revise, cfg: Path, run_dir: Path, seqs):
    t = time.monotonic()
    revise.checked(["train", "--config", str(cfg), "--run-dir", str(run_dir)])
    steps = sorted((run_dir / "checkpoints").glob("step-*"))
    if not steps:
        raise ValueError(f"revise train wrote no checkpoint under {run_dir}/checkpoints")
    adapter, lp, merged, merged_lp = _score(revise, steps[-1], seqs)[:4]
    return adapter, lp, merged, merged_lp, time.monotonic() - t


def _score(revise, adapter: Path, seqs):
    """revise logprobs on the adapter directory, then export --merge and logprobs on the result."""
    t = time.monotonic()
    lp = revise.logprobs_batch(adapter, seqs, "lora-" + adapter.parent.name + adapter.name)
    merged = adapter.parent / (adapter.name + "-merged")
    revise.checked(["export", "--checkpoint", str(adapter), "--merge", "--out", str(merged)])
    merged_lp = revise.logprobs_batch(merged, seqs, "merged-" + adapter.parent.name + adapter.name)
    return adapter, lp, merged, merged_lp, time.monotonic() - t


def _peft_adapter(ck, case, base: Path) -> Path:
    """An adapter as PEFT writes it, with A and B both random (PEFT's B = 0 would test nothing)."""
    d = ck.root / "peft-adapters" / case.name.replace("/", "--")
    model = hm.load_f32(base)
    cfg = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=PEFT_TARGETS[case.name],
                     init_lora_weights=False, task_type="CAUSAL_LM")
    peft = get_peft_model(model, cfg)
    g = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for name, p in peft.named_parameters():
            if "lora_" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.3)
    peft.save_pretrained(d)
    # PEFT records the base by the path it was loaded from: make it the absolute one
    f = d / "adapter_config.json"
    c = json.loads(f.read_text())
    c["base_model_name_or_path"] = str(base.resolve())
    f.write_text(json.dumps(c, indent=2))
    return d


def finish(job) -> Row:
    row, direction, base, seqs, fut = job
    try:
        adapter, revise_lp, merged, merged_lp, row.seconds = fut.result()
    except Exception as e:
        row.notes.append(f"revise: {e.reason if isinstance(e, ReviseError) else repr(e)}")
        return row
    t = time.monotonic()
    try:
        peft = PeftModel.from_pretrained(hm.load_f32(base), adapter).eval()
        peft_keys = {k for k, _ in peft.named_parameters() if "lora_" in k}  # before merging removes them
        ref = hm.logprobs(peft, seqs)
        row.max_abs_diff = hm.max_abs_diff(revise_lp, ref)
        base_lp = hm.logprobs(hm.load_f32(base), seqs)
        row.off_diff = hm.max_abs_diff(base_lp, ref)
        row.off_note = "off = the base without the adapter"
        merged_ref = hm.logprobs(peft.merge_and_unload().eval(), seqs)
        merged_diff = max(hm.max_abs_diff(merged_lp, merged_ref),
                          hm.max_abs_diff(hm.logprobs(hm.load_f32(merged), seqs), ref))
        row.detail = f"export --merge vs PEFT's merge_and_unload and transformers on the export: {merged_diff:.2e}"
        if not merged_diff <= TOLERANCE:
            row.notes.append(f"the merged export differs by {merged_diff:.2e}")
        if direction == "revise-to-peft":
            state = load_file(adapter / "adapter_model.safetensors")
            zero_b = [k for k, v in state.items() if k.endswith("lora_B.weight") and not v.abs().sum() > 0]
            if zero_b:
                row.notes.append(f"training left {len(zero_b)} B matrices at zero, e.g. {zero_b[0]}")
            got = {k.replace(".weight", ".default.weight") for k in state}
            if got != peft_keys:
                row.notes.append(f"adapter keys differ from PEFT's: {sorted(got ^ peft_keys)[:4]}")
        if row.off_diff is not None and not row.off_diff >= 100 * TOLERANCE:
            row.notes.append(f"the adapter moves the log-probs by only {row.off_diff:.2e}")
    except Exception as e:
        row.notes.append(f"{type(e).__name__}: {str(e)[:300]}")
    row.passed = not row.notes and row.max_abs_diff is not None and row.max_abs_diff <= TOLERANCE
    row.seconds += time.monotonic() - t
    return row
