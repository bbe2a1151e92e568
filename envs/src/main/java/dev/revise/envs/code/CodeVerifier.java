package dev.revise.envs.code;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.rl.Task;
import dev.revise.rl.Verdict;
import dev.revise.rl.Verifier;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a response's code against a code task's tests in a {@link PythonSandbox}.
 *
 * <p>HumanEval: program = prompt + candidate + test + {@code check(entry_point)}. MBPP: setup +
 * candidate + each assert, run one by one so the credit is the fraction passed. Either way the
 * harness prints a random completion marker last, so a candidate that exits early with status 0
 * (an easy reward hack for a policy) fails. A candidate determined to read the marker out of its
 * own file can forge it: the sandbox contains damage, not deliberate cheating within the process.
 */
public final class CodeVerifier implements Verifier {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_REASON = 300;
    private static final Pattern MBPP_LINE = Pattern.compile("(\\S+) (\\d+) (\\d+)\\n");
    private static final Pattern LOCATION = Pattern.compile("^\\s*File \"(?:[^\"]*/)?main\\.py\", line (\\d+)");
    private static final Pattern CARETS = Pattern.compile("^\\s*[\\^~]+\\s*$");

    private final PythonSandbox sandbox;

    /** The sandbox is shared, not owned: closing it is the caller's job. */
    public CodeVerifier(PythonSandbox sandbox) {
        this.sandbox = sandbox;
    }

    @Override
    public Verdict verify(Task task, String response) {
        String code = CodeExtraction.candidate(response);
        if (code.isBlank()) {
            return Verdict.unparseable("no code found in the response");
        }
        String marker =
                "revise-done-" + Long.toHexString(ThreadLocalRandom.current().nextLong() | 1L << 62);
        if (task.metadata().containsKey(CodeTasks.TEST_LIST)) {
            return mbpp(task, code, marker);
        }
        if (task.metadata().containsKey(CodeTasks.TEST)) {
            return humanEval(task, code, marker);
        }
        throw new IllegalArgumentException(
                "task '" + task.id() + "' is not a code task: it has neither 'test_list' nor 'test' metadata");
    }

    private Verdict humanEval(Task task, String code, String marker) {
        String entry = task.require(CodeTasks.ENTRY_POINT);
        String program = CodeExtraction.humanEvalProgram(task.prompt(), code, entry)
                + "\n\n"
                + task.require(CodeTasks.TEST)
                + "\n\ncheck(" + entry + ")\n"
                + "__import__('sys').stdout.write('\\n" + marker + "\\n')\n";
        SandboxResult r = sandbox.run(program);
        if (r.exitCode() == 0
                && !r.timedOut()
                && !r.outputLimitHit()
                && r.stdout().contains(marker)) {
            return Verdict.correct(code, "all tests passed" + truncationNote(r));
        }
        return Verdict.incorrect(code, 0, failure(r));
    }

    private Verdict mbpp(Task task, String code, String marker) {
        List<String> tests = CodeTasks.testList(task);
        String encoded;
        try {
            encoded = Base64.getEncoder().encodeToString(JSON.writeValueAsBytes(tests));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        String program = task.metadata().getOrDefault(CodeTasks.TEST_SETUP_CODE, "")
                + "\n"
                + code
                + "\n\n"
                + String.join(
                        "\n",
                        "def __revise_run_tests():",
                        "    import base64, json, sys, traceback",
                        "    tests = json.loads(base64.b64decode('" + encoded + "').decode('utf-8'))",
                        "    passed, first = 0, None",
                        "    for t in tests:",
                        "        try:",
                        "            exec(t, globals())",
                        "            passed += 1",
                        "        except BaseException:",
                        "            if first is None:",
                        "                first = 'failing test: ' + t + '\\n' + traceback.format_exc()",
                        "    sys.stdout.write('\\n" + marker + " %d %d\\n' % (passed, len(tests)))",
                        "    sys.stdout.flush()",
                        "    if first is not None:",
                        "        sys.stderr.write(first)",
                        "        sys.exit(1)",
                        "",
                        "__revise_run_tests()",
                        "");
        SandboxResult r = sandbox.run(program);
        Matcher m = MBPP_LINE.matcher(r.stdout());
        int passed = -1;
        int total = tests.size();
        while (m.find()) {
            if (m.group(1).equals(marker)) {
                passed = Integer.parseInt(m.group(2));
            }
        }
        boolean clean = !r.timedOut() && !r.outputLimitHit();
        if (clean && r.exitCode() == 0 && passed == total) {
            return Verdict.correct(code, "all " + total + " tests passed" + truncationNote(r));
        }
        if (!clean || passed < 0) {
            return Verdict.incorrect(code, 0, failure(r));
        }
        String reason = "passed " + passed + " of " + total + " tests; " + failure(r);
        return Verdict.incorrect(code, passed / (double) total, clip(reason));
    }

    /** Why a run failed, most specific cause first. */
    String failure(SandboxResult r) {
        String note = truncationNote(r);
        if (r.timedOut()) {
            return "timeout: no result within "
                    + seconds(sandbox.config().timeout().toMillis()) + " (process tree killed)" + note;
        }
        if (r.outputLimitHit()) {
            return "output limit: wrote more than the sandbox's output cap (killed; output truncated)";
        }
        List<String> err = r.stderr().lines().filter(l -> !l.isBlank()).toList();
        String last = err.isEmpty() ? "" : err.get(err.size() - 1).strip();
        if (last.startsWith("MemoryError") || (r.signal() == 9 && last.isEmpty())) {
            return clip("memory limit: " + (last.isEmpty() ? "killed by SIGKILL" : last)) + note;
        }
        if (r.signal() != 0) {
            return clip("killed by " + SandboxResult.signalName(r.signal()) + (last.isEmpty() ? "" : ": " + last))
                    + note;
        }
        if (r.exitCode() == 0) {
            return "exited with status 0 before the tests completed (no completion marker)" + note;
        }
        if (last.startsWith("SyntaxError") || last.startsWith("IndentationError") || last.startsWith("TabError")) {
            return clip("syntax error: " + last + errorLocation(err)) + note;
        }
        if (last.startsWith("AssertionError")) {
            String failing = failingTest(err);
            return clip("failing assertion: " + (failing.isEmpty() ? last : failing + " -> " + last)) + note;
        }
        if (last.isEmpty()) {
            return "exit status " + r.exitCode() + " with no error output" + note;
        }
        return clip("error: " + last) + note;
    }

    /** The source line of the innermost frame (or the MBPP harness' "failing test:" line). */
    private static String failingTest(List<String> err) {
        for (String line : err) {
            if (line.startsWith("failing test: ")) {
                return line.substring("failing test: ".length()).strip();
            }
        }
        for (int i = err.size() - 2; i >= 0; i--) {
            String line = err.get(i);
            if (CARETS.matcher(line).matches()) {
                continue;
            }
            return line.startsWith(" ") && !line.strip().startsWith("File ") ? line.strip() : "";
        }
        return "";
    }

    private static String errorLocation(List<String> err) {
        for (int i = err.size() - 1; i >= 0; i--) {
            Matcher m = LOCATION.matcher(err.get(i));
            if (m.find()) {
                return " (main.py, line " + m.group(1) + ")";
            }
        }
        return "";
    }

    private static String truncationNote(SandboxResult r) {
        return r.outputTruncated() ? " (output truncated)" : "";
    }

    private static String seconds(long millis) {
        return String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    private static String clip(String s) {
        return s.length() <= MAX_REASON ? s : s.substring(0, MAX_REASON - 3) + "...";
    }
}
