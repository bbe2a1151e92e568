"""Runs the revise CLI as a user would (`<repo>/revise <command> ...`) and parses its JSON output.

Every invocation is a JVM start (~2-3 s), so callers batch work per invocation and run up to
`jobs` invocations at once on a thread pool. A failed invocation raises ReviseError carrying the
exit code and the line of stderr that says why (revise prints `revise <cmd>: <message>`).
"""

import json
import os
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path


class ReviseError(Exception):
    def __init__(self, args: list[str], rc: int, stderr: str):
        self.rc = rc
        self.stderr = stderr
        self.reason = summarize(stderr)
        super().__init__(f"`revise {' '.join(args[:1])}` exited {rc}: {self.reason}")


def summarize(stderr: str) -> str:
    """The one stderr line a user would read first: revise's own message, else picocli's."""
    lines = [l.strip() for l in stderr.splitlines() if l.strip()]
    for prefix in ("Unknown option", "Unmatched argument", "revise ", "Missing required", "Error"):
        for line in lines:
            if line.startswith(prefix) and "building" not in line:
                return _hint(line)[:300]
    return (lines[-1] if lines else "(no output on stderr)")[:300]


def _hint(line: str) -> str:
    # Parts of the contract still being implemented show up as picocli usage errors; say so plainly.
    if line.startswith(("Unknown option", "Unmatched argument", "Missing required")):
        return line + " (a usage error: this revise build may not have that CLI feature yet)"
    return line


@dataclass
class Result:
    rc: int
    stdout: str
    stderr: str
    seconds: float


class Revise:
    def __init__(self, launcher: Path, work: Path, jobs: int, log):
        self.launcher = launcher
        self.work = work
        self.log = log
        self.pool = ThreadPoolExecutor(max_workers=jobs)
        self.calls = 0
        self._count = threading.Lock()
        # One intra-op thread per JVM: the models are tiny and several JVMs share 2 cores.
        self.env = dict(os.environ, OPT_OUT_TRACKING="true", DJL_OFFLINE="true",
                        REVISE_THREADS=os.environ.get("REVISE_THREADS", "1"))
        # Every call is a short JVM whose time goes to start-up: the JIT's C1 tier only (code runs
        # once, optimising it does not pay) cuts its CPU by about a third, and a class-data archive
        # (share_classes) by a quarter more. Options the user set in REVISE_JAVA_OPTS win.
        self.tune = "REVISE_JAVA_OPTS" not in os.environ
        if self.tune:
            self.env["REVISE_JAVA_OPTS"] = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"

    def run(self, args: list[str], timeout: float = 600) -> Result:
        t = time.monotonic()
        p = subprocess.run([str(self.launcher), *args], capture_output=True, text=True, env=self.env,
                           timeout=timeout, stdin=subprocess.DEVNULL)
        r = Result(p.returncode, p.stdout, p.stderr, time.monotonic() - t)
        with self._count:
            self.calls += 1
        self.log(f"revise {' '.join(_short(a) for a in args)} -> exit {r.rc} in {r.seconds:.1f}s")
        return r

    def share_classes(self, archive: Path, args: list[str]) -> Result:
        """Runs `args` once dumping the classes it loaded into `archive` (JDK 13+), which every later
        call then maps instead of loading them from the jar. A stale or unreadable archive only
        makes the JVM warn and load classes as usual."""
        if not self.tune:
            return self.checked(args)
        base = self.env["REVISE_JAVA_OPTS"]
        self.env["REVISE_JAVA_OPTS"] = f"{base} -XX:ArchiveClassesAtExit={archive}"
        try:
            r = self.checked(args)
        finally:
            self.env["REVISE_JAVA_OPTS"] = base
        if archive.exists():
            self.env["REVISE_JAVA_OPTS"] = f"{base} -XX:SharedArchiveFile={archive}"
        return r

    def checked(self, args: list[str], timeout: float = 600) -> Result:
        r = self.run(args, timeout)
        if r.rc != 0:
            raise ReviseError(args, r.rc, r.stderr)
        return r

    def submit(self, fn, *args):
        return self.pool.submit(fn, *args)

    def build(self) -> None:
        """Builds the jar up front (the launcher does it on first use) so no timed call pays for it."""
        r = self.run(["--version"], timeout=900)
        if r.rc != 0:
            raise ReviseError(["--version"], r.rc, r.stderr)

    # --- the commands -------------------------------------------------------------------------

    def logprobs_batch(self, checkpoint: Path, seqs: list[list[int]], tag: str) -> list[list[float]]:
        """`revise logprobs --batch`: one {"logprobs": [...]} line per {"token_ids": [...]} line."""
        f = self._jsonl(tag, [{"token_ids": s} for s in seqs])
        out = self.checked(["logprobs", "--checkpoint", str(checkpoint), "--batch", str(f)])
        rows = _json_lines(out.stdout)
        if len(rows) != len(seqs):
            raise ValueError(f"revise logprobs --batch printed {len(rows)} lines for {len(seqs)} inputs")
        return [r["logprobs"] for r in rows]

    def tokenize_batch(self, directory: Path, items: list[dict], tag: str) -> list[dict]:
        f = self._jsonl(tag, items)
        out = self.checked(["tokenize", "--checkpoint", str(directory), "--batch", str(f)])
        rows = _json_lines(out.stdout)
        if len(rows) != len(items):
            raise ValueError(f"revise tokenize --batch printed {len(rows)} lines for {len(items)} inputs")
        return rows

    def tokenize(self, directory: Path, extra: list[str]) -> dict:
        out = self.checked(["tokenize", "--checkpoint", str(directory), *extra])
        rows = _json_lines(out.stdout)
        if len(rows) != 1:
            raise ValueError(f"revise tokenize printed {len(rows)} JSON lines, expected 1")
        return rows[0]

    def _jsonl(self, tag: str, items: list[dict]) -> Path:
        f = self.work / "inputs" / f"{tag.replace('/', '_')}.jsonl"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items))
        return f


def _json_lines(stdout: str) -> list[dict]:
    return [json.loads(l) for l in stdout.splitlines() if l.strip().startswith("{")]


def _short(a: str) -> str:
    return a if len(a) < 80 else "..." + a[-60:]
