package dev.revise.envs.grading;

import static org.assertj.core.api.Assertions.assertThat;

import dev.revise.envs.tasks.JsonlTasks;
import dev.revise.rl.Task;
import dev.revise.rl.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MathVerifierTest {
    private final MathVerifier verifier = new MathVerifier();

    /** Every MATH500 reference solution grades correct against the row's own answer field. */
    @Test
    void math500ReferenceSolutionsGradeCorrect() {
        List<String> failures = new ArrayList<>();
        List<Task> tasks = JsonlTasks.math500();
        for (Task t : tasks) {
            Verdict v = verifier.verify(t, t.require("solution"));
            if (!v.correct()) {
                failures.add(t.id() + ": " + v.reason());
            }
        }
        assertThat(tasks).hasSize(500);
        assertThat(500 - failures.size()).as("failures: %s", failures).isGreaterThanOrEqualTo(500);
    }

    @Test
    void verdictsCarryTheExtractedAnswerAndAReason() {
        Task t = new Task("t", "q", "\\left( 3, \\frac{\\pi}{2} \\right)");
        Verdict right = verifier.verify(t, "So the point is $\\boxed{(3, \\tfrac{\\pi}{2})}$.");
        assertThat(right.correct()).isTrue();
        assertThat(right.extracted()).isEqualTo("(3, \\tfrac{\\pi}{2})");
        assertThat(right.reason()).contains("expected");
        Verdict wrong = verifier.verify(t, "So the point is $\\boxed{(3, \\pi)}$.");
        assertThat(wrong.correct()).isFalse();
        assertThat(wrong.parsed()).isTrue();
        assertThat(wrong.extracted()).isEqualTo("(3, \\pi)");
        Verdict none = verifier.verify(t, "I do not know");
        assertThat(none.parsed()).isFalse();
        assertThat(new MathVerifier(GradingOptions.DEFAULT, true)
                        .verify(new Task("u", "q", "7"), "so 7")
                        .correct())
                .isTrue();
    }

    @Test
    void statedAndSeveralBoxedAnswersAreFound() {
        Task two = new Task("t", "q", "-2, 1");
        assertThat(verifier.verify(two, "The roots are $\\boxed{1}$ and $\\boxed{-2}$.")
                        .correct())
                .isTrue();
        assertThat(verifier.verify(two, "Maybe \\boxed{1}. Then later, after much more work, \\boxed{-2}.")
                        .correct())
                .isFalse();
        Task n = new Task("n", "q", "14916");
        assertThat(verifier.verify(n, "Final Answer: The final answer is $14{,}916$. I hope it is correct.")
                        .correct())
                .isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            value = {
                "so $x = \\boxed{3 \\pm 2 \\sqrt{2}}.$ | 3 \\pm 2 \\sqrt{2}",
                "$\\boxed{\\frac{1}{3}}$ | \\frac{1}{3}",
                "\\boxed{1} and \\boxed{2} and \\boxed{3} | 1, 2, 3",
                "\\boxed{(2, 2)} \\quad \\text{and} \\quad \\boxed{(6, 2)} | (2, 2), (6, 2)",
                "\\boxed{1} and and and or thus but \\boxed{2} and \\boxed{3} | 2, 3",
                "So \\boxed{4}. Therefore \\boxed{4}. | 4",
                "The answer is \\boxed 4 | 4",
                "The final answer is $\\frac{1}{2}$. I hope it is correct. | \\frac{1}{2}",
                "Final Answer: The volume of $ABCDEFGH$ is 120. I hope it is correct. | 120",
                "Therefore $x < 5$ is the solution. | x < 5",
                "$21,16$ or $11$ | 21,16, 11",
                "Soucis : 2,74 $ a.. | 2.74",
                "it is 1 000 | 1000",
                "the probability is 2/3. | 2/3",
                "There are $n$ ways, so there are 12 in all. | 12",
                "\\frac{4}{23} | \\frac{4}{23}",
                "so each share is (\\frac{2}{5}) tons | \\frac{2}{5}",
            })
    void extraction(String response, String expected) {
        assertThat(AnswerExtraction.extract(response, true)).isEqualTo(Optional.of(expected));
    }

    @Test
    void brokenOrMissingMathGivesNoAnswer() {
        assertThat(AnswerExtraction.extract("Answer $ \n 9 \n $", true)).isEmpty();
        assertThat(AnswerExtraction.extract("AZYUK2A", true)).isEmpty();
        assertThat(AnswerExtraction.extract("\\boxed{unbalanced", false)).isEmpty();
    }
}
