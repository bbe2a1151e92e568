"""The parity table: one Row per check, rendered as markdown (stdout and OUT/parity.md) and JSON."""

import json
import math
from dataclasses import asdict, dataclass, field

TOLERANCE = 1e-4  # max |d log p| allowed between revise and transformers, float32 models
SENSITIVITY = 100  # switching a feature off must move the reference by >= SENSITIVITY * TOLERANCE


@dataclass
class Row:
    """One line of the table. `id` is what --only matches (a regular expression search)."""

    id: str
    section: str  # hf-to-revise | reject | revise-to-hf | tokenizer | template
    case: str  # family/feature, tokenizer corpus or conversation kind
    dtype: str = ""
    shards: str = ""
    layout: str = ""  # hf5: as transformers 5.x writes config.json; hf4: the 4.x Hub layout
    max_abs_diff: float | None = None  # max |d log p| (log-prob rows)
    off_diff: float | None = None  # max |d log p| of the reference with the feature switched off
    off_note: str = ""
    cases: int | None = None  # tokenizer/template rows
    mismatches: int | None = None
    passed: bool = False
    detail: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def fail(self, why: str) -> "Row":
        self.passed = False
        self.notes.append(why)
        return self


def _num(x: float | None) -> str:
    if x is None:
        return ""
    if isinstance(x, float) and math.isnan(x):
        return "nan"
    return f"{x:.2e}"


def markdown(rows: list[Row], header: str) -> str:
    cols = ["check", "dtype", "shards", "config", "max abs d logp", "feature off", "cases", "mismatches",
            "result", "detail"]
    lines = [header, "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        off = _num(r.off_diff) if r.off_diff is not None else r.off_note
        detail = "; ".join(r.notes + ([r.detail] if r.detail else []))
        cells = [
            f"{r.section}: {r.case}",
            r.dtype,
            r.shards,
            r.layout,
            _num(r.max_abs_diff),
            off,
            "" if r.cases is None else str(r.cases),
            "" if r.mismatches is None else str(r.mismatches),
            "pass" if r.passed else "**FAIL**",
            detail.replace("|", "\\|").replace("\n", " ")[:400],
        ]
        lines.append("| " + " | ".join(cells) + " |")
    failed = sum(not r.passed for r in rows)
    lines += ["", f"{len(rows) - failed} passed, {failed} failed"]
    return "\n".join(lines) + "\n"


def write(rows: list[Row], out_dir, header: str, meta: dict) -> str:
    text = markdown(rows, header)
    (out_dir / "parity.md").write_text(text)

    def clean(r: Row) -> dict:
        d = asdict(r)
        for k in ("max_abs_diff", "off_diff"):  # JSON has no NaN
            if isinstance(d[k], float) and not math.isfinite(d[k]):
                d[k] = str(d[k])
        return d

    doc = {"meta": meta, "tolerance": TOLERANCE, "rows": [clean(r) for r in rows]}
    (out_dir / "parity.json").write_text(json.dumps(doc, indent=1) + "\n")
    return text
