package dev.revise.envs.code;

import static org.assertj.core.api.Assertions.assertThat;

import dev.revise.rl.Task;
import dev.revise.rl.Verdict;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SandboxHumanEvalTest {
    private static PythonSandbox sandbox;
    private static CodeVerifier verifier;
    private static List<Task> tasks;

    @BeforeAll
    static void start() {
        // Generous timeout: this proves the harness, not speed, on a shared 2-core machine.
        sandbox = new PythonSandbox(
                SandboxConfig.defaults().withTimeout(Duration.ofSeconds(30)).withMaxConcurrent(2));
        verifier = new CodeVerifier(sandbox);
        tasks = CodeTasks.humanEval();
    }

    @AfterAll
    static void stop() {
        sandbox.close();
    }

    @Test
    void everyCanonicalSolutionPasses() throws Exception {
        assertThat(tasks).hasSize(164);
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Verdict>> verdicts = tasks.stream()
                    .map(t -> pool.submit(() -> verifier.verify(t, t.answer())))
                    .toList();
            int passed = 0;
            StringBuilder failures = new StringBuilder();
            for (int i = 0; i < tasks.size(); i++) {
                Verdict v = verdicts.get(i).get();
                if (v.correct()) {
                    passed++;
                } else {
                    failures.append(tasks.get(i).id())
                            .append(": ")
                            .append(v.reason())
                            .append('\n');
                }
            }
            System.out.printf(
                    "HumanEval canonical solutions: %d/%d passed in %.1f s (2 at a time)%n",
                    passed, tasks.size(), (System.nanoTime() - start) / 1e9);
            assertThat(failures.toString()).isEmpty();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aWholeFunctionInAFenceAlsoPasses() {
        Task t = tasks.get(0);
        String response = "Here it is:\n```python\n" + t.prompt() + t.answer() + "```\nDone.";
        Verdict v = verifier.verify(t, response);
        assertThat(v.correct()).as(v.reason()).isTrue();
        assertThat(v.extracted()).contains("def has_close_elements");
    }

    @Test
    void aWrongSolutionFailsWithTheAssertion() {
        Task t = tasks.get(0);
        Verdict v = verifier.verify(t, "```python\n    return False\n```");
        assertThat(v.correct()).isFalse();
        assertThat(v.credit()).isZero();
        assertThat(v.reason())
                .startsWith("failing assertion: assert candidate(")
                .contains("AssertionError");
    }

    @Test
    void anUnindentedBodyIsIndented() {
        Task t = tasks.get(2); // truncate_number: return number % 1.0
        Verdict v = verifier.verify(t, "return number % 1.0");
        assertThat(v.correct()).as(v.reason()).isTrue();
    }

    @Test
    void noCodeIsUnparseable() {
        Verdict v = verifier.verify(tasks.get(0), "  \n");
        assertThat(v.parsed()).isFalse();
        assertThat(v.reason()).contains("no code");
    }

    @Test
    void aTaskWithoutTestsIsRejected() {
        Task plain = new Task("x", "p", "a", Map.of());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> verifier.verify(plain, "print(1)"))
                .hasMessageContaining("not a code task");
    }
}
