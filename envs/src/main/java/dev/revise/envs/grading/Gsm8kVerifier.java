package dev.revise.envs.grading;

import dev.revise.rl.Task;
import dev.revise.rl.Verdict;
import dev.revise.rl.Verifier;
import java.util.Optional;

/**
 * GSM8K: the task's answer is the number after {@code ####}; the response's answer is found by
 * {@link AnswerExtraction} (with the last-number fallback unless disabled) and compared exactly as a
 * rational number.
 */
public final class Gsm8kVerifier implements Verifier {
    private final boolean lastNumberFallback;

    public Gsm8kVerifier(boolean lastNumberFallback) {
        this.lastNumberFallback = lastNumberFallback;
    }

    public Gsm8kVerifier() {
        this(true);
    }

    @Override
    public Verdict verify(Task task, String response) {
        Optional<String> found = AnswerExtraction.extract(response, lastNumberFallback);
        if (found.isEmpty()) {
            return Verdict.unparseable("no final answer found");
        }
        String answer = found.get();
        if (NumericAnswer.parse(answer).isEmpty()) {
            return Verdict.incorrect(answer, 0, "extracted '" + answer + "' is not a number");
        }
        if (NumericAnswer.equivalent(answer, task.answer())) {
            return Verdict.correct(answer, "extracted " + answer + ", expected " + task.answer() + ": equal");
        }
        return Verdict.incorrect(answer, 0, "extracted " + answer + ", expected " + task.answer());
    }
}
