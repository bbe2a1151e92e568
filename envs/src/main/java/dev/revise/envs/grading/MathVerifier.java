package dev.revise.envs.grading;

import dev.revise.rl.Task;
import dev.revise.rl.Verdict;
import dev.revise.rl.Verifier;
import java.util.Optional;

/**
 * MATH / MATH500: the task's answer is the reference final answer (LaTeX); the response's answer
 * is the last {@code \boxed{...}} (with the boxes just before it when several answers are boxed),
 * else a stated "final answer is", else the last math span, found by {@link AnswerExtraction}; the
 * two are compared symbolically by {@link AnswerGrader#equivalent(String, String, GradingOptions)}.
 */
public final class MathVerifier implements Verifier {
    private final GradingOptions options;
    private final boolean lastNumberFallback;

    /**
     * @param lastNumberFallback whether a response with no stated answer is graded by its last
     *     number (off by default: MATH prompts ask for a boxed answer, and the last number of a
     *     derivation is rarely it)
     */
    public MathVerifier(GradingOptions options, boolean lastNumberFallback) {
        this.options = options;
        this.lastNumberFallback = lastNumberFallback;
    }

    public MathVerifier() {
        this(GradingOptions.DEFAULT, false);
    }

    @Override
    public Verdict verify(Task task, String response) {
        Optional<String> found = AnswerExtraction.extract(response, lastNumberFallback);
        if (found.isEmpty() || found.get().isBlank()) {
            return Verdict.unparseable("no final answer found (no \\boxed{}, stated answer or math)");
        }
        String answer = found.get();
        if (AnswerGrader.equivalent(answer, task.answer(), options)) {
            return Verdict.correct(answer, "extracted " + answer + ", expected " + task.answer() + ": equivalent");
        }
        return Verdict.incorrect(answer, 0, "extracted " + answer + ", expected " + task.answer());
    }
}
