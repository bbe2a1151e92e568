package dev.revise.envs.code;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.rl.Task;
import dev.revise.rl.Verdict;
import dev.revise.rl.Verifier;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a response's code against a code task's tests in a {@link PythonSandbox}.
 *
 * <p>The candidate's program ({@code main.py}: HumanEval's prompt + candidate, MBPP's setup +
 * candidate) runs in a child process of the trusted {@code harness.py}; the tests run in the
 * harness' own process and call the candidate's functions through a pipe, and only built-in
 * values cross back. So a candidate can neither patch what the tests rely on ({@code sys.exit},
 * builtins, {@code check}, {@code __eq__}) nor print the verdict: candidate output goes to stderr,
 * and the verdict on stdout's last line must carry a per-run random nonce the candidate never
 * sees. MBPP runs each assert separately, so the credit is the fraction passed. See
 * envs/CODE-SANDBOX.md.
 */
public final class CodeVerifier implements Verifier {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom NONCES = new SecureRandom();
    private static final int MAX_REASON = 300;
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
        byte[] bytes = new byte[16];
        NONCES.nextBytes(bytes);
        String nonce = HexFormat.of().formatHex(bytes);
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("nonce", nonce);
        String program;
        if (task.metadata().containsKey(CodeTasks.TEST_LIST)) {
            program = task.metadata().getOrDefault(CodeTasks.TEST_SETUP_CODE, "") + "\n" + code + "\n";
            spec.put("kind", "mbpp");
            spec.put("setup", task.metadata().getOrDefault(CodeTasks.TEST_SETUP_CODE, ""));
            spec.put("tests", CodeTasks.testList(task));
        } else if (task.metadata().containsKey(CodeTasks.TEST)) {
            String entry = task.require(CodeTasks.ENTRY_POINT);
            program = CodeExtraction.humanEvalProgram(task.prompt(), code, entry);
            spec.put("kind", "humaneval");
            spec.put("prompt", task.prompt());
            spec.put("test", task.require(CodeTasks.TEST));
            spec.put("entry_point", entry);
        } else {
            throw new IllegalArgumentException(
                    "task '" + task.id() + "' is not a code task: it has neither 'test_list' nor 'test' metadata");
        }
        SandboxResult r;
        try {
            r = sandbox.runTests(program, JSON.writeValueAsString(spec));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return score(code, r, nonce);
    }

    private Verdict score(String code, SandboxResult r, String nonce) {
        JsonNode verdict = r.timedOut() || r.outputLimitHit() ? null : verdictLine(r.stdout(), nonce);
        if (verdict == null) {
            return Verdict.incorrect(code, 0, failure(r));
        }
        int passed = verdict.path("passed").asInt(0);
        int total = verdict.path("total").asInt(1);
        JsonNode reason = verdict.path("reason");
        if (reason.isNull() && passed == total && total > 0) {
            return Verdict.correct(
                    code, (total == 1 ? "all tests passed" : "all " + total + " tests passed") + truncationNote(r));
        }
        String why = reason.isTextual() ? reason.asText() : "not every test passed";
        if (total > 1) {
            why = "passed " + passed + " of " + total + " tests; " + why;
        }
        return Verdict.incorrect(code, total > 0 ? passed / (double) total : 0, clip(why) + truncationNote(r));
    }

    /** The harness' verdict: stdout's last line, if it is JSON carrying this run's nonce. */
    private static JsonNode verdictLine(String stdout, String nonce) {
        List<String> lines = stdout.lines().filter(l -> !l.isBlank()).toList();
        if (lines.isEmpty()) {
            return null;
        }
        try {
            JsonNode v = JSON.readTree(lines.get(lines.size() - 1));
            return v != null && v.isObject() && nonce.equals(v.path("nonce").asText(null)) ? v : null;
        } catch (JsonProcessingException e) {
            return null;
        }
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
            return "exited with status 0 before the tests completed (no verdict from the harness)" + note;
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
