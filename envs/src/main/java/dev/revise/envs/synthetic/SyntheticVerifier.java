package dev.revise.envs.synthetic;

import dev.revise.rl.Task;
import dev.revise.rl.Verdict;
import dev.revise.rl.Verifier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Checks the number after the last {@code A} of an attempt ({@code ...;A4}) against the task's answer. */
public final class SyntheticVerifier implements Verifier {
    private static final Pattern ANSWER = Pattern.compile("A(-?\\d+)");

    @Override
    public Verdict verify(Task task, String response) {
        Matcher m = ANSWER.matcher(response);
        String found = null;
        while (m.find()) {
            found = m.group(1);
        }
        if (found == null) {
            return Verdict.unparseable("no final answer 'A<number>' in the attempt");
        }
        String normalized = found.replaceFirst("^(-?)0+(?=\\d)", "$1");
        if (normalized.equals(task.answer())) {
            return Verdict.correct(found, "A" + found + " equals the expected " + task.answer());
        }
        return Verdict.incorrect(found, 0.0, "A" + found + " but the answer is " + task.answer());
    }
}
