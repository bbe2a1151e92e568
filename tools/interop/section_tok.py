"""C. tokenizer parity and D. chat-template parity, against `tokenizers` and transformers.

C: `revise tokenize --batch` on real text (GSM8K, MATH500, HumanEval, hand-written edge cases)
with the real Qwen3 tokenizer must give the ids and pieces of
`tokenizers.Tokenizer.encode(text, add_special_tokens=False)` and the ids of AutoTokenizer; the
same for revise's own char-level tokenizer (`revise init`).
D: for chat messages, `text` must be AutoTokenizer.apply_chat_template(tokenize=False, ...) and
`ids` apply_chat_template(tokenize=True, ...), with the model's own (Qwen3) template.
"""

import gzip
import itertools
import json
import shutil
import time
from pathlib import Path
from typing import Callable

from tokenizers import Tokenizer
from transformers import AutoTokenizer

from report import Row
from revise_cli import ReviseError

QWEN3 = Path("policies/src/test/resources/tokenizers/qwen3")
DATA = Path("envs/src/main/resources/data")

HANDWRITTEN = [
    "日本語のテキストと中文混合，标点符号。한국어 텍스트도 있어요.",
    "emoji: 👩‍👩‍👧‍👦 🚀🔥✨ 🇯🇵 👍🏽 and text",
    "combining marks: e\u0301 a\u0308 n\u0303 A\u030a vs \u00c5, stacked o\u0302\u0323",
    "RTL: שלום עולם and مرحبا بالعالم mixed with LTR 123",
    "Thai ภาษาไทยไม่มีช่องว่าง and Devanagari नमस्ते दुनिया",
    "    four leading spaces",
    "trailing spaces   ",
    "tabs\t\tbetween\twords\t",
    "newlines\n\n\nthree, then windows\r\nline ends\r\n",
    "mixed \t \n  \u00a0nbsp\u2009thin\u200bzero-width",
    "<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n",
    "special tokens inside text: a<|endoftext|>b and <think>reasoning</think> done",
    "31415926535897932384626433832795028841971693993751",
    "1,234,567.890 -0.000001 6.022e23 0x1F 1e-10 2^64=18446744073709551616",
    "∑_{i=1}^{n} x_i² ≤ ∞, ∫₀¹ f(x) dx ≈ π/4, \\frac{a}{b}",
    "def f(x):\n    return x ** 2  # comment\n\n\tpass\n",
    "naïve café résumé Ångström Œuvre straße",
    "a",
    " ",
    "",
]

SYSTEM = {"role": "system", "content": "You are a careful math tutor."}
CONVERSATIONS = {
    "single-turn": [{"role": "user", "content": "What is 17 * 23?"}],
    "single-turn+system": [SYSTEM, {"role": "user", "content": "Solve x^2 = 9.\nShow steps."}],
    "multi-turn, think in earlier turn": [
        SYSTEM, {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "<think>\nAdd them.\n</think>\n\n2+2 = 4."},
        {"role": "user", "content": "And 3+3?"}],
    "multi-turn, think in last turn": [
        {"role": "user", "content": "Name a prime."},
        {"role": "assistant", "content": "7"},
        {"role": "user", "content": "Another one, bigger than 10?"},
        {"role": "assistant", "content": "<think>\n11 has no divisors.\n</think>\n\n11 is prime."}],
    "multi-turn, think in every turn": [
        {"role": "user", "content": "Is 91 prime?"},
        {"role": "assistant", "content": "<think>91 = 7 * 13</think>No: 91 = 7 * 13."},
        {"role": "user", "content": "Is 97 prime? 日本語で"},
        {"role": "assistant", "content": "<think>\nCheck 2, 3, 5, 7.\n</think>\n\nはい、97は素数です。"}],
}
VARIANTS = [(gen, args) for gen in (False, True) for args in ({}, {"enable_thinking": False})]


def corpora(repo: Path) -> dict[str, list[str]]:
    def jsonl(path: Path, opener=open):
        with opener(path, "rt", encoding="utf-8") as f:
            return [json.loads(l) for l in itertools.islice(f, 400) if l.strip()]
    he = jsonl(repo / DATA / "humaneval/HumanEval.jsonl.gz", gzip.open)[:20]
    return {
        "gsm8k": [r["question"] for r in jsonl(repo / DATA / "gsm8k/test.jsonl")[:40]],
        "math500": [r["problem"] for r in jsonl(repo / DATA / "math500/test.jsonl")[:40]],
        "humaneval": [r["prompt"] + r["canonical_solution"] for r in he],
        "handwritten": HANDWRITTEN,
    }


def qwen3_dir(repo: Path, out: Path) -> Path:
    """A tokenizer-only directory (no config.json), as revise tokenize must accept."""
    d = out / "qwen3-tokenizer"
    d.mkdir(parents=True, exist_ok=True)
    with gzip.open(repo / QWEN3 / "tokenizer.json.gz", "rb") as src, open(d / "tokenizer.json", "wb") as dst:
        shutil.copyfileobj(src, dst)
    shutil.copy(repo / QWEN3 / "tokenizer_config.json", d / "tokenizer_config.json")
    return d


def _first_diff(a: list, b: list) -> str:
    i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"at {i}: revise {a[i:i + 3]} vs {b[i:i + 3]} (lengths {len(a)}/{len(b)})"


class TextReference:
    def __init__(self, directory: Path, auto=None):
        self.tok = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.auto = auto or AutoTokenizer.from_pretrained(directory)

    def problems(self, text: str, got: dict) -> list[str]:
        enc = self.tok.encode(text, add_special_tokens=False)
        auto_ids = self.auto.encode(text, add_special_tokens=False)
        out = []
        if auto_ids != enc.ids:  # the two Python references disagree: say so, it is not revise's fault
            out.append("reference: AutoTokenizer and tokenizers disagree " + _first_diff(auto_ids, enc.ids))
        if got.get("ids") != enc.ids:
            out.append("ids " + _first_diff(got.get("ids") or [], enc.ids))
        if got.get("tokens") != enc.tokens:
            out.append("tokens " + _first_diff(got.get("tokens") or [], enc.tokens))
        if got.get("text") != text:
            out.append(f"text echoed as {str(got.get('text'))[:40]!r}")
        return out


def _timed(call):
    t = time.monotonic()
    return call(), time.monotonic() - t


def finish(job) -> Row:
    """Checks each output of one revise call; the row counts the mismatching items."""
    rid, section, case, items, check, fut = job
    row = Row(rid, section, case, cases=len(items))
    try:
        outputs, row.seconds = fut.result()
    except Exception as e:  # ReviseError, or output that is not the contract's JSON
        row.notes.append(f"revise: {e.reason if isinstance(e, ReviseError) else repr(e)}")
        return row
    try:
        bad = [(i, p) for i, (item, got) in enumerate(zip(items, outputs)) if (p := check(item, got))]
    except Exception as e:
        row.notes.append(f"checking the output failed: {e!r}")
        return row
    row.mismatches = len(bad)
    row.passed = not bad
    if bad:
        i, p = bad[0]
        row.detail = f"first mismatch, item {i}: {'; '.join(p)}"[:400]
    return row


def ids() -> list[str]:
    out = [f"tokenizer:qwen3:{c}" for c in ("gsm8k", "math500", "humaneval", "handwritten", "--text")]
    return out + ["tokenizer:char-level"] + [f"template:qwen3:{k}" for k in CONVERSATIONS] + [
        "template:qwen3:--messages"]


def run(repo: Path, out: Path, revise, selected: Callable[[str], bool], char_dir: Path) -> list:
    """Jobs for finish(): revise runs on the pool, the references are computed in finish()."""
    jobs = []
    if not any(map(selected, ids())):
        return jobs
    texts = corpora(repo)
    qdir = qwen3_dir(repo, out)
    qref = TextReference(qdir)

    def job(rid, section, case, items, check, call):
        if selected(rid):
            jobs.append((rid, section, case, items, check, revise.submit(_timed, call)))

    def batch(d, lines, tag):
        return lambda: revise.tokenize_batch(d, lines, tag)

    for corpus, items in texts.items():
        job(f"tokenizer:qwen3:{corpus}", "tokenizer", f"qwen3 {corpus}", items, qref.problems,
            batch(qdir, [{"text": t} for t in items], f"tok-qwen3-{corpus}"))
    text = HANDWRITTEN[1]  # the single-text form of the command
    job("tokenizer:qwen3:--text", "tokenizer", "qwen3 --text", [text], qref.problems,
        lambda: [revise.tokenize(qdir, ["--text", text])])
    # revise's own tokenizer: ASCII arithmetic, plus non-ASCII text that must map to <unk>.
    chars = ["12+7=19\n19-4=15", "answer: 15 | retry", *texts["gsm8k"][:10], *HANDWRITTEN[:4], ""]
    if selected("tokenizer:char-level"):
        cref = TextReference(char_dir)
        job("tokenizer:char-level", "tokenizer", "char-level (revise init)", chars, cref.problems,
            batch(char_dir, [{"text": t} for t in chars], "tok-char"))

    check = lambda item, got: template_problems(qref, item, got)
    for kind, messages in CONVERSATIONS.items():
        items = [{"messages": messages, "add_generation_prompt": gen, "template_args": args}
                 for gen, args in VARIANTS]
        job(f"template:qwen3:{kind}", "template", f"qwen3 {kind}", items, check,
            batch(qdir, items, "tpl-" + kind.replace(" ", "_").replace(",", "")))
    # The file form with flags, as a user types it.
    item = {"messages": CONVERSATIONS["multi-turn, think in earlier turn"], "add_generation_prompt": True,
            "template_args": {"enable_thinking": False}}
    f = out / "inputs" / "messages.json"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(json.dumps(item["messages"], ensure_ascii=False))
    args = ["--messages", str(f), "--add-generation-prompt", "--template-arg", "enable_thinking=false"]
    job("template:qwen3:--messages", "template", "qwen3 --messages --template-arg enable_thinking=false",
        [item], check, lambda: [revise.tokenize(qdir, args)])
    return jobs


def template_problems(ref: TextReference, item: dict, got: dict) -> list[str]:
    kw = dict(add_generation_prompt=item["add_generation_prompt"], **item["template_args"])
    text = ref.auto.apply_chat_template(item["messages"], tokenize=False, **kw)
    ids = ref.auto.apply_chat_template(item["messages"], tokenize=True, **kw)
    ids = list(ids["input_ids"] if hasattr(ids, "keys") else ids)
    where = f"(gen={item['add_generation_prompt']}, args={item['template_args']})"
    out = []
    if got.get("text") != text:
        a, b = got.get("text") or "", text
        i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        out.append(f"text {where} differs at char {i}: revise {a[i:i + 30]!r} vs {b[i:i + 30]!r}")
    if got.get("ids") != ids:
        out.append(f"ids {where} " + _first_diff(got.get("ids") or [], ids))
    enc = ref.tok.encode(text, add_special_tokens=False)
    if got.get("tokens") != enc.tokens:
        out.append(f"tokens {where} " + _first_diff(got.get("tokens") or [], enc.tokens))
    return out
