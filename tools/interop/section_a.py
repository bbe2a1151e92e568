"""A. transformers -> revise: checkpoints written by transformers, read by `revise logprobs`.

Every feature case is saved as float32/bfloat16 x single file/sharded in the 5.x config.json
layout, and as float32 single and bfloat16 sharded in the 4.x Hub layout too (the full cross with
both layouts would be ~110 JVM starts for little more coverage: the layout is read before and
apart from the weights).
Plus the negative cases (REJECT): a config.json key revise does not implement must make
`revise logprobs` exit 2 naming the file, the key and the value.
"""

import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import hf_models as hm
from report import SENSITIVITY, TOLERANCE, Row
from revise_cli import ReviseError, summarize

STORAGE_NAMES = {("float32", False): "f32-single", ("float32", True): "f32-sharded",
                 ("bfloat16", False): "bf16-single", ("bfloat16", True): "bf16-sharded"}
MATRIX = [("float32", False, "hf5"), ("float32", False, "hf4"), ("float32", True, "hf5"),
          ("bfloat16", False, "hf5"), ("bfloat16", True, "hf5"), ("bfloat16", True, "hf4")]


def seed_of(name: str) -> int:
    return sum(ord(c) * (i + 1) for i, c in enumerate(name)) % 100_000  # stable across runs


class Checkpoints:
    """Builds (case, dtype, sharded, layout) directories on demand, once each, with references."""

    def __init__(self, root: Path, char_tokenizer: Path):
        self.root = root
        self.char_tokenizer = char_tokenizer
        self._models, self._dirs, self._refs, self._off = {}, {}, {}, {}

    def model(self, case: hm.Case):
        if case.name not in self._models:
            self._models[case.name] = hm.build(case, seed_of(case.name))
        return self._models[case.name]

    def dir(self, case: hm.Case, dtype: str, sharded: bool, layout: str) -> Path:
        key = (case.name, dtype, sharded, layout)
        if key not in self._dirs:
            d = self.root / "hf" / f"{case.name.replace('/', '--')}--{STORAGE_NAMES[dtype, sharded]}--{layout}"
            if layout == "hf5":
                hm.save(self.model(case), d, dtype, sharded, self.char_tokenizer)
            else:
                hm.copy_checkpoint(self.dir(case, dtype, sharded, "hf5"), d)
                hm.to_hub4_layout(d / "config.json")
            self._dirs[key] = d
        return self._dirs[key]

    def seqs(self, case: hm.Case) -> list[list[int]]:
        return hm.sequences(seed_of(case.name) + 1)

    def reference(self, case: hm.Case, dtype: str, sharded: bool, layout: str) -> list[list[float]]:
        key = (case.name, dtype, sharded, layout)
        if key not in self._refs:
            d = self.dir(case, dtype, sharded, layout)
            self._refs[key] = hm.logprobs(hm.load_f32(d), self.seqs(case))
        return self._refs[key]

    def off_diff(self, case: hm.Case) -> float | None:
        """How far switching the feature off moves the float32 reference (same weights)."""
        if case.off is None:
            return None
        if case.name not in self._off:
            d = self.dir(case, "float32", False, "hf5")
            off = hm.logprobs(case.off(d), self.seqs(case))
            self._off[case.name] = hm.max_abs_diff(off, self.reference(case, "float32", False, "hf5"))
        return self._off[case.name]


def plan() -> list[tuple[str, hm.Case, str, bool, str]]:
    items = []
    for case in hm.CASES:
        for dtype, sharded, layout in MATRIX:
            rid = f"hf-to-revise:{case.name}:{dtype}:{'sharded' if sharded else 'single'}:{layout}"
            items.append((rid, case, dtype, sharded, layout))
    return items


def run(ck: Checkpoints, revise, selected: Callable[[str], bool], log) -> list:
    """Returns futures of Rows: checkpoints are built here, revise runs on the pool meanwhile."""
    futures = []
    for rid, case, dtype, sharded, layout in plan():
        if not selected(rid):
            continue
        t = time.monotonic()
        row = Row(rid, "hf-to-revise", case.name, dtype, "sharded" if sharded else "single", layout,
                  off_note=case.off_note)
        try:
            d = ck.dir(case, dtype, sharded, layout)
            ref = ck.reference(case, dtype, sharded, layout)
            row.off_diff = ck.off_diff(case)
            if layout == "hf4":  # transformers must read the rewritten layout as the same model
                d54 = hm.max_abs_diff(ref, ck.reference(case, dtype, sharded, "hf5"))
                if not d54 <= 1e-6:
                    row.notes.append(f"transformers reads the 4.x layout differently ({d54:.2e})")
                else:
                    row.detail = f"transformers reads 4.x and 5.x alike (max d {d54:.1e})"
        except Exception as e:  # a bug on the Python side: report it on the row, keep going
            row.notes.append(f"python side failed: {type(e).__name__}: {e}")
            futures.append(_done(row))
            continue
        row.seconds = time.monotonic() - t
        futures.append(revise.submit(_compare_logprobs, revise, row, d, ck.seqs(case), ref))
    return futures


def _done(row: Row) -> Future:
    f = Future()
    f.set_result(row)
    return f


def _compare_logprobs(revise, row: Row, d: Path, seqs, ref) -> Row:
    t = time.monotonic()
    try:
        got = revise.logprobs_batch(d, seqs, row.id.replace(":", "--"))
        row.max_abs_diff = hm.max_abs_diff(got, ref) if ref is not None else None
    except Exception as e:  # ReviseError, or output that is not the contract's JSON
        row.notes.append(f"revise: {e.reason if isinstance(e, ReviseError) else repr(e)}")
    row.seconds += time.monotonic() - t
    sensitive = row.off_diff is None or row.off_diff >= SENSITIVITY * TOLERANCE
    if row.off_diff is not None and not sensitive:
        row.notes.append(f"feature off moves the reference only {row.off_diff:.2e}: this check cannot fail")
    row.passed = (not row.notes and row.max_abs_diff is not None and row.max_abs_diff <= TOLERANCE
                  and sensitive)
    if row.max_abs_diff is not None and not row.max_abs_diff <= TOLERANCE:
        row.notes.append(f"log-probs differ by more than {TOLERANCE:g}")
    return row


# --- negative cases: config keys revise must refuse -------------------------------------------

@dataclass(frozen=True)
class Reject:
    name: str
    base: str  # the case whose float32 single checkpoint is copied and patched
    layout: str
    patch: Callable[[dict], None]
    keys: tuple[str, ...]  # the message must name one of these keys ...
    value: str  # ... and this value
    note: str = ""


def _set(**kv) -> Callable[[dict], None]:
    return lambda c: c.update(kv)


def _rope5(**kv) -> Callable[[dict], None]:
    return lambda c: c["rope_parameters"].update(kv)


def _longrope4(c: dict) -> None:
    c["rope_scaling"] = {"rope_type": "longrope", "short_factor": [1.0] * 8, "long_factor": [4.0] * 8,
                         "original_max_position_embeddings": 32}


LONGROPE5 = dict(rope_type="longrope", short_factor=[1.0] * 8, long_factor=[4.0] * 8,
                 original_max_position_embeddings=32)
# Extend here: one line per config.json key (and layout) that changes the math and revise lacks.
REJECT = [
    Reject("rope-longrope", "llama/default", "hf5", _rope5(**LONGROPE5), ("rope_type", "rope_parameters"),
           "longrope"),
    Reject("rope-longrope", "llama/default", "hf4", _longrope4, ("rope_type", "rope_scaling", "type"),
           "longrope"),
    # revise implements a window on every layer (hf_models' qwen2/sliding-all-16), not mixed layers
    Reject("qwen2-mixed-sliding-layers", "qwen2/qkv-bias", "hf5",
           _set(use_sliding_window=True, sliding_window=16, max_window_layers=1,
                layer_types=["full_attention", "sliding_attention"]), ("use_sliding_window",), "true"),
    # transformers' Llama ignores this key; the models that set it (Phi-3, GLM, GPT-NeoX) rotate only
    # part of each head, so a checkpoint carrying it is not a plain Llama: refusing is the safe answer.
    Reject("partial-rotary-factor", "llama/default", "hf4", _set(partial_rotary_factor=0.5),
           ("partial_rotary_factor",), "0.5", "transformers' Llama ignores it; Phi-3/GLM/NeoX do not"),
    Reject("partial-rotary-factor", "llama/default", "hf5", _rope5(partial_rotary_factor=0.5),
           ("partial_rotary_factor",), "0.5", "transformers' Llama ignores it; Phi-3/GLM/NeoX do not"),
    Reject("hidden-act-gelu", "llama/default", "hf5", _set(hidden_act="gelu"), ("hidden_act",), "gelu"),
    Reject("quantization-config", "llama/default", "hf5",
           _set(quantization_config={"quant_method": "bitsandbytes", "load_in_4bit": True}),
           ("quantization_config",), "bitsandbytes"),
]


def ids() -> list[str]:
    return [p[0] for p in plan()] + [f"reject:{rj.name}:{rj.layout}" for rj in REJECT]


def run_rejects(ck: Checkpoints, revise, selected: Callable[[str], bool]) -> list:
    futures = []
    for rj in REJECT:
        rid = f"reject:{rj.name}:{rj.layout}"
        if not selected(rid):
            continue
        case = hm.BY_NAME[rj.base]
        d = ck.root / "reject" / f"{rj.name}--{rj.layout}"
        hm.copy_checkpoint(ck.dir(case, "float32", False, rj.layout), d)
        hm.patch_config(d, rj.patch)
        row = Row(rid, "reject", f"{rj.name} ({rj.base})", "float32", "single", rj.layout)
        # Informational: how much the key moves transformers' own log-probs (when it can load it).
        try:
            row.off_diff = hm.max_abs_diff(hm.logprobs(hm.load_f32(d), ck.seqs(case)),
                                           ck.reference(case, "float32", False, rj.layout))
        except Exception as e:
            row.off_note = f"transformers cannot load it either ({type(e).__name__})"
        futures.append(revise.submit(_expect_rejection, revise, row, d, rj))
    return futures


def _expect_rejection(revise, row: Row, d: Path, rj: Reject) -> Row:
    r = revise.run(["logprobs", "--checkpoint", str(d), "--token-ids", "1,5,6,7"])
    row.seconds = r.seconds
    msg = (r.stderr + r.stdout)
    low = msg.lower()
    config_file = str(d / "config.json")
    missing = [what for what, ok in (
        ("exit 2", r.rc == 2),
        (f"the file {config_file}", config_file in msg),
        (f"the key ({' or '.join(rj.keys)})", any(k in msg for k in rj.keys)),
        (f"the value {rj.value}", rj.value.lower() in low),
    ) if not ok]
    row.passed = not missing
    said = "no message" if r.rc == 0 else summarize(r.stderr)
    row.detail = f"exit {r.rc}: {said}" if r.rc != 0 else "revise accepted it (exit 0)"
    if missing:
        row.notes.append("expected " + ", ".join(missing))
    if rj.note:
        row.detail += f" ({rj.note})"
    return row

