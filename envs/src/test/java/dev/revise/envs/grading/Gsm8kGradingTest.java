package dev.revise.envs.grading;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.revise.envs.tasks.JsonlTasks;
import dev.revise.rl.Task;
import dev.revise.rl.Verdict;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Gsm8kGradingTest {
    @Test
    void everyReferenceSolutionOfTheTestSplitGradesCorrect() {
        Gsm8kVerifier verifier = new Gsm8kVerifier(false);
        int n = 0;
        for (Task t : JsonlTasks.gsm8kTest()) {
            Verdict v = verifier.verify(t, t.metadata().get("reference"));
            assertTrue(v.correct(), t.id() + ": " + v.reason());
            n++;
        }
        assertEquals(1319, n);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "so she makes $18 a day.\\n#### 18 | 18",
                "The answer is 1,000. | 1,000",
                "The final answer is $\\boxed{\\frac{1}{2}}$ | \\frac{1}{2}",
                "x = \\boxed{\\frac{a}{\\sqrt{b}}} | \\frac{a}{\\sqrt{b}}",
                "Q: how many?\\nA: 42 | 42",
                "First 3, then 5, so 8 apples | 8",
            })
    void extraction(String response, String expected) {
        assertEquals(Optional.of(expected), AnswerExtraction.extract(response.replace("\\n", "\n"), true));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "1,000 | 1000",
                "0.5 | 1/2",
                "\\frac{1}{2} | 0.5",
                "\\dfrac12 | 1/2",
                "50% | 0.5",
                "$18 | 18",
                "18. | 18",
                "+7 | 7",
                "-3 | -3.0",
                "12 \\text{ apples} | 12",
                "5 dollars | 5",
                "2/4 | 1/2",
            })
    void equivalentNumbers(String a, String b) {
        assertTrue(NumericAnswer.equivalent(a, b), a + " vs " + b);
    }

    @ParameterizedTest(name = "{0} != {1}")
    @CsvSource(
            delimiter = '|',
            value = {"1/3 | 0.33", "18 | 17", "x+1 | 1", "1,00 | 100", "0.5 | 5"})
    void differentOrNonNumbers(String a, String b) {
        assertFalse(NumericAnswer.equivalent(a, b), a + " vs " + b);
    }

    @Test
    void verdictsCarryTheExtractedAnswerAndAReason() {
        Task t = new Task("t", "q", "18");
        Gsm8kVerifier v = new Gsm8kVerifier();
        assertEquals("18", v.verify(t, "#### 18").extracted());
        assertFalse(v.verify(t, "#### 17").correct());
        assertFalse(v.verify(t, "I don't know").parsed());
        assertTrue(new Gsm8kVerifier(true).verify(t, "we get 18").correct());
        assertFalse(new Gsm8kVerifier(false).verify(t, "we get 18").parsed());
    }
}
