package dev.revise.envs.code;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.rl.Task;
import dev.revise.rl.Verdict;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SandboxMbppTest {
    private static PythonSandbox sandbox;
    private static CodeVerifier verifier;

    @BeforeAll
    static void start() {
        sandbox = new PythonSandbox(
                SandboxConfig.defaults().withTimeout(Duration.ofSeconds(10)).withMaxConcurrent(2));
        verifier = new CodeVerifier(sandbox);
    }

    @AfterAll
    static void stop() {
        sandbox.close();
    }

    private static Task task(String setup, String... tests) throws Exception {
        Map<String, String> meta = new java.util.HashMap<>(
                Map.of("source", "mbpp", CodeTasks.TEST_LIST, new ObjectMapper().writeValueAsString(List.of(tests))));
        if (setup != null) {
            meta.put(CodeTasks.TEST_SETUP_CODE, setup);
        }
        return new Task("mbpp/t", "Write is_even.", "def is_even(n):\n    return n % 2 == 0", meta);
    }

    @Test
    void allAssertsPassingIsCorrect() throws Exception {
        Task t = task(null, "assert is_even(2)", "assert not is_even(3)", "assert is_even(0) == True");
        Verdict v = verifier.verify(t, "```python\n" + t.answer() + "\n```");
        assertThat(v.correct()).as(v.reason()).isTrue();
        assertThat(v.reason()).isEqualTo("all 3 tests passed");
    }

    @Test
    void creditIsTheFractionOfAssertsPassed() throws Exception {
        Task t = task(null, "assert is_even(2)", "assert is_even(4)", "assert is_even(6)", "assert is_even(7)");
        Verdict v = verifier.verify(t, "def is_even(n):\n    return n in (2, 4)\n");
        assertThat(v.correct()).isFalse();
        assertThat(v.credit()).isEqualTo(0.5);
        assertThat(v.reason()).startsWith("passed 2 of 4 tests").contains("failing assertion: assert is_even(6)");
    }

    @Test
    void setupCodeRunsFirstAndErrorsAreNamed() throws Exception {
        Task t = task("import math\nLIMIT = 10", "assert is_even(LIMIT)", "assert math.sqrt(4) == 2");
        assertThat(verifier.verify(t, t.answer()).correct()).isTrue();
        Verdict broken = verifier.verify(t, "def is_even(n):\n    return undefined_name\n");
        assertThat(broken.credit()).isEqualTo(0.5); // the math assert does not need is_even
        assertThat(broken.reason()).contains("NameError");
        Verdict syntax = verifier.verify(t, "def is_even(n)\n    return True\n");
        assertThat(syntax.reason()).startsWith("syntax error").contains("main.py");
    }

    @Test
    void aLoopingAssertTimesOutWithNoCredit() throws Exception {
        try (PythonSandbox quick = new PythonSandbox(SandboxConfig.defaults().withTimeout(Duration.ofSeconds(2)))) {
            Task t = task(null, "assert is_even(2)", "assert is_even(1)");
            Verdict v = new CodeVerifier(quick)
                    .verify(t, "def is_even(n):\n    while n == 1:\n        pass\n    return True\n");
            assertThat(v.credit()).isZero();
            assertThat(v.reason()).startsWith("timeout");
        }
    }

    @Test
    void aMissingPythonIsAClearErrorAtConstruction() {
        assertThatThrownBy(() -> new PythonSandbox(SandboxConfig.defaults().withPython("/nonexistent/python3")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no Python 3 interpreter found")
                .hasMessageContaining("install python3");
    }
}
