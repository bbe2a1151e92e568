"""revise <-> Hugging Face transformers interoperability suite.

Drives the revise CLI as a user would (`<repo>/revise ...`) and compares it with transformers:
  A. transformers -> revise: log-probs of transformers-written checkpoints (families, features,
     float32/bfloat16, single/sharded, 4.x and 5.x config.json layouts), and config keys revise
     must refuse;
  B. revise -> transformers: checkpoints written by `revise train` load in transformers with no
     key problems and score the same;
  C. tokenizer parity (real Qwen3 tokenizer and revise's char-level one) on real text;
  D. chat-template parity (Qwen3 template);
  L. LoRA adapters against PEFT (both directions, and the merged export);
  T. TensorBoard event files of `revise train` read by the tensorboard package (and after a
     kill and resume).
Prints the parity table (markdown), writes OUT/parity.md and OUT/parity.json, exits 1 if any
check fails (2 if the suite could not run at all).

Usage: tools/interop/run.sh [--only REGEX]... [--keep] [--jobs N] [--revise LAUNCHER]
(--revise checks another build's launcher, e.g. another worktree's ./revise.)
Row ids look like `hf-to-revise:llama/rope-yarn:bfloat16:sharded:hf4`, `reject:hidden-act-gelu:hf5`,
`revise-to-hf:qwen3/qk-norm:float32:single:hf5`, `tokenizer:qwen3:gsm8k`, `template:qwen3:...`;
--only keeps the rows whose id matches (re.search), e.g. --only 'llama/rope' --only '^tokenizer'.
"""

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))

START = time.monotonic()


def log(msg: str) -> None:
    print(f"[interop {time.monotonic() - START:6.1f}s] {msg}", file=sys.stderr, flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=REPO / "target" / "interop")
    ap.add_argument("--only", action="append", default=[], metavar="REGEX",
                    help="run only rows whose id matches (repeatable; any match)")
    ap.add_argument("--keep", action="store_true", help="keep the checkpoints, runs and inputs in OUT/work")
    ap.add_argument("--jobs", type=int, default=2, help="revise invocations at once (default 2)")
    ap.add_argument("--revise", type=Path, default=REPO / "revise", help="the revise launcher")
    args = ap.parse_args(argv)

    import torch  # imported here so --help works without the venv
    import tokenizers
    import transformers
    from transformers.utils import logging as tlog

    torch.set_num_threads(1)  # tiny models; leave the other core to the revise JVMs
    tlog.set_verbosity_error()
    tlog.disable_progress_bar()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing is ever fetched from a hub

    import section_a
    import section_b
    import section_lora
    import section_tb
    import section_tok
    from report import TOLERANCE, write
    from revise_cli import Revise, ReviseError

    out = args.out.resolve()
    work = out / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    selected = (lambda rid: any(re.search(p, rid) for p in args.only)) if args.only else (lambda rid: True)

    every = section_a.ids() + section_b.ids() + section_lora.ids() + section_tok.ids() + section_tb.ids()
    if not any(map(selected, every)):
        print(f"interop: --only {args.only} matches none of the {len(every)} checks; ids look like\n  "
              + "\n  ".join(every[::12]), file=sys.stderr)
        return 2

    revise = Revise(args.revise.resolve(), work, args.jobs, log)
    try:
        log("building revise (first use only) ...")
        revise.build()
        init = work / "init"
        revise.share_classes(work / "revise-classes.jsa", ["init", "--shape", "small", "--out", str(init)])
    except ReviseError as e:
        print(f"interop: cannot run revise: {e}\n{e.stderr[-2000:]}", file=sys.stderr)
        return 2
    char_tokenizer = init / "tokenizer.json"
    ck = section_a.Checkpoints(work, char_tokenizer)

    # Submit the JVM work that needs no Python preparation first, so the pool is busy while the
    # main thread builds transformers checkpoints and computes references.
    tok_jobs = section_tok.run(REPO, work, revise, selected, init)
    log(f"{len(tok_jobs)} tokenizer/template batches submitted")
    b_jobs = section_b.run(ck, revise, selected)
    log(f"{len(b_jobs)} revise train runs submitted")
    lora_jobs = section_lora.run(ck, revise, selected)
    log(f"{len(lora_jobs)} LoRA checks submitted")
    tb_jobs = section_tb.run(revise, work, selected)
    log(f"{len(tb_jobs)} TensorBoard runs submitted")
    a_futures = section_a.run(ck, revise, selected, log)
    a_futures += section_a.run_rejects(ck, revise, selected)
    log(f"{len(a_futures)} transformers -> revise checks submitted; waiting for revise")

    rows = [f.result() for f in a_futures]
    rows += [section_b.finish(j) for j in b_jobs]
    rows += [section_lora.finish(j) for j in lora_jobs]
    rows += [section_tok.finish(j) for j in tok_jobs]
    rows += [section_tb.finish(j) for j in tb_jobs]
    revise.pool.shutdown()
    elapsed = time.monotonic() - START
    # The commit of the revise that was checked (the launcher's tree; "-dirty": uncommitted changes).
    rev = subprocess.run(["git", "-C", str(args.revise.resolve().parent), "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip() or "unknown"
    header = (f"# revise <-> transformers parity\n\nrevise {rev}; transformers {transformers.__version__}, "
              f"torch {torch.__version__}, tokenizers {tokenizers.__version__}, Python "
              f"{platform.python_version()}. Log-prob tolerance: max |d log p| <= {TOLERANCE:g} (float32); "
              f"'feature off' is how far the transformers reference moves with the feature switched off "
              f"on the same weights (must be >= 100x the tolerance; on reject rows: how far the key moves "
              f"transformers' own log-probs). {len(rows)} checks, {revise.calls} "
              f"revise invocations, {elapsed:.0f} s.")
    meta = {"revise_commit": rev, "transformers": transformers.__version__, "torch": torch.__version__,
            "tokenizers": tokenizers.__version__, "seconds": round(elapsed, 1), "revise_calls": revise.calls,
            "only": args.only}
    print(write(rows, out, header, meta), end="")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    log(f"wrote {out / 'parity.md'} and {out / 'parity.json'}")
    return 0 if all(r.passed for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
