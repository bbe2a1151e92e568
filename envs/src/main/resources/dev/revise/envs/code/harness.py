# The trusted half of a code verification, run by PythonSandbox as the run's first process.
#
# Why two processes: a candidate that shares an interpreter with its tests can patch anything the
# tests rely on (sys.exit, builtins, the check function, __eq__ of what it returns) and can read
# any marker the harness will print. So the candidate's code runs only in a forked child that
# never sees the tests or the nonce; this process runs the tests, calling the candidate through a
# pipe, and only plain built-in values (ints, strings, lists, ...) cross back, re-built here, so a
# returned object cannot choose how it compares. This process is made non-dumpable before the
# fork: the child cannot ptrace it, read its memory or open its /proc/<pid>/fd, and neither
# process can dump core.
#
# Protocol with the JVM: stdin carries one JSON object {"nonce", "kind": "humaneval"|"mbpp",
# "prompt", "test", "entry_point", "setup", "tests"}, read only after the fork (the child has closed
# its stdin by then). The verdict is the last stdout line: {"nonce", "passed", "total", "reason"}.
# The child's stdout is redirected to stderr, so nothing the candidate prints reaches stdout.
import json
import os
import struct
import sys
import traceback

CANDIDATE_FILE = "main.py"
MAX_ITEMS = 1_000_000
MAX_DEPTH = 200


class ProtocolError(Exception):
    """The candidate process sent something the harness cannot read: it fails, with a reason."""


# ------------------------------------------------------------------ values across the pipe


def encode(value, budget=None, depth=0):
    """Plain built-in values as tagged JSON; subclasses are rebuilt through the base type's own
    methods, so an int subclass that claims to equal everything crosses as its integer value."""
    if budget is None:
        budget = [MAX_ITEMS]
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        raise TypeError("value too large or too deeply nested to compare")
    if value is None:
        return ["n"]
    if value is True or value is False:
        return ["b", value]
    if isinstance(value, int):
        return ["i", int.__repr__(value)]
    if isinstance(value, float):
        return ["f", float.hex(value)]
    if isinstance(value, complex):
        return ["c", float.hex(complex.__getattribute__(value, "real")),
                float.hex(complex.__getattribute__(value, "imag"))]
    if isinstance(value, str):
        return ["s", str.__str__(value)]
    if isinstance(value, (bytes, bytearray)):
        return ["y", bytes(value).hex()]
    if isinstance(value, dict):
        return ["d", [[encode(k, budget, depth + 1), encode(v, budget, depth + 1)]
                      for k, v in dict.items(value)]]
    for base, tag in ((list, "l"), (tuple, "t"), (set, "S"), (frozenset, "F")):
        if isinstance(value, base):
            return [tag, [encode(v, budget, depth + 1) for v in base.__iter__(value)]]
    raise TypeError("a value of type %s, which cannot cross to the tests (only built-in values do)"
                    % type(value).__name__)


def decode(tagged, depth=0):
    if depth > MAX_DEPTH or not isinstance(tagged, list) or not tagged or not isinstance(tagged[0], str):
        raise ProtocolError("malformed value")
    tag, rest = tagged[0], tagged[1:]
    try:
        if tag == "n":
            return None
        if tag == "b" and type(rest[0]) is bool:
            return rest[0]
        if tag == "i" and type(rest[0]) is str:
            return int(rest[0])
        if tag == "f" and type(rest[0]) is str:
            return float.fromhex(rest[0])
        if tag == "c":
            return complex(float.fromhex(rest[0]), float.fromhex(rest[1]))
        if tag == "s" and type(rest[0]) is str:
            return rest[0]
        if tag == "y" and type(rest[0]) is str:
            return bytes.fromhex(rest[0])
        if tag == "d":
            return {decode(k, depth + 1): decode(v, depth + 1) for k, v in rest[0]}
        items = [decode(v, depth + 1) for v in rest[0]]
        return {"l": list, "t": tuple, "S": set, "F": frozenset}[tag](items)
    except ProtocolError:
        raise
    except Exception as e:  # a hostile child can send anything: any surprise is a protocol break
        raise ProtocolError("malformed value (%s)" % type(e).__name__)
    raise ProtocolError("malformed value")


def send(fd, message):
    data = json.dumps(message).encode("utf-8")
    view = memoryview(struct.pack(">I", len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def receive(fd):
    header = read_exactly(fd, 4)
    if header is None:
        return None
    body = read_exactly(fd, struct.unpack(">I", header)[0])
    if body is None:
        return None
    try:
        message = json.loads(body.decode("utf-8"))
    except Exception:  # also RecursionError on absurd nesting
        raise ProtocolError("unreadable message")
    if not isinstance(message, dict):
        raise ProtocolError("unreadable message")
    return message


def read_exactly(fd, n):
    chunks = []
    while n > 0:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


# ------------------------------------------------------------------ the candidate process


def serve(requests, replies):
    """Runs in the child: loads the candidate's program, then answers calls until the pipe closes."""
    namespace = {"__name__": "__main__", "__file__": CANDIDATE_FILE, "__builtins__": __builtins__}
    sys.argv = [CANDIDATE_FILE]
    try:
        with open(CANDIDATE_FILE, encoding="utf-8") as f:
            source = f.read()
        exec(compile(source, CANDIDATE_FILE, "exec"), namespace)
    except BaseException as e:  # SystemExit too: exiting while loading is a failure, not a pass
        traceback.print_exc()
        flush()
        send(replies, {"loaded": False, "error": describe(e)})
        os._exit(1)
    names = sorted(k for k, v in namespace.items()
                   if callable(v) and not k.startswith("__") and type(v).__name__ != "module")
    flush()
    send(replies, {"loaded": True, "callables": names})
    while True:
        request = receive(requests)
        if request is None:
            flush()
            os._exit(0)
        try:
            args = decode(request["args"])
            kwargs = decode(request["kwargs"])
            result = namespace[request["call"]](*args, **kwargs)
            reply = {"value": encode(result)}
        except BaseException as e:
            traceback.print_exc()
            reply = {"error": describe(e)}
        flush()
        send(replies, reply)


def flush():
    """The candidate's prints are buffered in this process, which ends with os._exit."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # the candidate may have replaced or closed them
            pass


def describe(e):
    line = None
    if isinstance(e, SyntaxError) and e.filename == CANDIDATE_FILE:
        line = e.lineno
    else:
        for frame in reversed(traceback.extract_tb(e.__traceback__)):
            if frame.filename == CANDIDATE_FILE:
                line = frame.lineno
                break
    text = traceback.format_exception_only(type(e), e)[-1].strip()
    return {"type": type(e).__name__, "text": text, "line": line, "exit": isinstance(e, SystemExit)}


# ------------------------------------------------------------------ the tests, in this process


class CandidateFailed(Exception):
    """The candidate raised (or broke the protocol) while a test called it."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class Candidate:
    def __init__(self, child, requests, replies):
        self.child, self.requests, self.replies = child, requests, replies

    def function(self, name):
        def call(*args, **kwargs):
            try:
                send(self.requests, {"call": name, "args": encode(list(args)), "kwargs": encode(kwargs)})
            except (TypeError, ValueError) as e:
                raise CandidateFailed("the harness cannot pass this argument to the candidate: %s" % e)
            except OSError:
                raise CandidateFailed(self.death())
            reply = receive(self.replies)
            if reply is None:
                raise CandidateFailed(self.death())
            if "error" in reply:
                raise CandidateFailed(error_reason(reply["error"]))
            return decode(reply.get("value"))
        call.__name__ = name
        return call

    def death(self):
        _, status = os.waitpid(self.child, 0)
        if os.WIFSIGNALED(status):
            return "killed by " + signal_name(os.WTERMSIG(status))
        code = os.WEXITSTATUS(status)
        if code == 0:
            return "exited with status 0 before the tests completed"
        return "exited with status %d before the tests completed" % code


def signal_name(n):
    names = {6: "SIGABRT", 9: "SIGKILL", 11: "SIGSEGV", 15: "SIGTERM",
             24: "SIGXCPU (CPU time limit)", 25: "SIGXFSZ (file size limit)"}
    return names.get(n, "signal %d" % n)


def error_reason(error):
    if not isinstance(error, dict):
        return "the candidate process broke the harness protocol"
    text = str(error.get("text", ""))[:500]
    kind = str(error.get("type", ""))
    line = error.get("line")
    where = " (%s, line %d)" % (CANDIDATE_FILE, line) if type(line) is int else ""
    if error.get("exit"):
        return "exited (%s) before the tests completed" % text
    if kind == "MemoryError":
        return "memory limit: MemoryError"
    if kind in ("SyntaxError", "IndentationError", "TabError"):
        return "syntax error: " + text + where
    return "error: " + text + where


def failure_reason(e, source_lines):
    """Why a test failed: the candidate's own error, or the failing assertion's source line."""
    if isinstance(e, CandidateFailed):
        return e.reason
    if isinstance(e, ProtocolError):
        return "the candidate process broke the harness protocol: %s" % e
    text = traceback.format_exception_only(type(e), e)[-1].strip()
    if isinstance(e, AssertionError):
        frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == "<tests>"]
        if frames and 0 < frames[-1].lineno <= len(source_lines):
            return "failing assertion: %s -> %s" % (source_lines[frames[-1].lineno - 1].strip(), text)
        return "failing assertion: " + text
    return "error: " + text


def run_tests(spec, candidate):
    """(passed, total, reason) for the spec's tests; reason is None when all passed."""
    names = candidate["callables"]
    globals_ = {"__name__": "__revise_tests__"}
    if spec["kind"] == "humaneval":
        # The prompt is the task's own text (helpers such as poly or encode_cyclic that the tests
        # use); the entry point is then replaced by the candidate's.
        try:
            exec(compile(spec["prompt"], "<prompt>", "exec"), globals_)
        except Exception:
            pass
        source = spec["test"] + "\n\ncheck(__revise_candidate__)\n"
        if spec["entry_point"] not in names:
            return 0, 1, "error: NameError: name '%s' is not defined" % spec["entry_point"]
        # Tests may also call the entry point by name (HumanEval/33 does).
        globals_["__revise_candidate__"] = globals_[spec["entry_point"]] = call_into(spec["entry_point"])
        tests = [source]
    else:
        exec(compile(spec.get("setup") or "", "<setup>", "exec"), globals_)
        tests = list(spec["tests"])
        # The tests call the candidate's functions by name; what the task's setup defines stays
        # the task's, so a candidate cannot replace a helper the tests trust.
        for name in names:
            globals_.setdefault(name, call_into(name))
    passed, first = 0, None
    for test in tests:
        try:
            exec(compile(test, "<tests>", "exec"), globals_)
            passed += 1
        except Exception as e:
            if first is None:
                first = failure_reason(e, test.splitlines())
                if spec["kind"] == "mbpp":
                    first = "failing test: %s: %s" % (test.strip()[:200], first)
            if isinstance(e, CandidateFailed) and e.reason.startswith(("killed", "exited")):
                break  # the candidate is gone: the remaining tests cannot run
    return passed, len(tests), first


call_into = None


def main():
    global call_into
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 0
    except Exception:
        pass  # not Linux: CODE-SANDBOX.md says what this leaves open
    requests_r, requests_w = os.pipe()
    replies_r, replies_w = os.pipe()
    sys.stdout.flush()
    child = os.fork()
    if child == 0:
        os.close(requests_w)
        os.close(replies_r)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.dup2(2, 1)  # nothing the candidate prints can reach the verdict channel
        serve(requests_r, replies_w)
        os._exit(0)
    os.close(requests_r)
    os.close(replies_w)
    spec = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    sys.stdin.close()
    nonce = spec.pop("nonce")
    candidate_proc = Candidate(child, requests_w, replies_r)
    call_into = candidate_proc.function
    try:
        loaded = receive(replies_r)
        if loaded is None:
            passed, total, reason = 0, 1, candidate_proc.death()
        elif not loaded.get("loaded") or not isinstance(loaded.get("callables"), list):
            passed, total, reason = 0, 1, error_reason(loaded.get("error"))
        else:
            passed, total, reason = run_tests(spec, loaded)
    except ProtocolError as e:
        passed, total, reason = 0, 1, "the candidate process broke the harness protocol: %s" % e
    verdict = {"nonce": nonce, "passed": passed, "total": total, "reason": reason}
    sys.stdout.write("\n" + json.dumps(verdict) + "\n")
    sys.stdout.flush()
    os._exit(0)  # the pid namespace (or the JVM's tree kill) ends the candidate process


if __name__ == "__main__":
    main()
