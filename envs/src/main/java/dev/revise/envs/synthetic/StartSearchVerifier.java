package dev.revise.envs.synthetic;

import dev.revise.rl.Task;
import dev.revise.rl.Verdict;
import dev.revise.rl.Verifier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Grades a {@link StartSearch} attempt by its committed start, the {@code A<number>} it opens
 * with: right when the question's chain, evaluated from that start (modulo the task's modulus
 * after every step), reaches the question's result. The attempt's own evaluation steps are not
 * graded.
 */
public final class StartSearchVerifier implements Verifier {
    private static final Pattern START = Pattern.compile("\\s*A(-?\\d{1,18})(?:;|\\s*$)");
    private static final Pattern QUESTION = Pattern.compile("Q((?:[+*-]\\d{1,18})+)=(-?\\d{1,18}):");
    private static final Pattern OP = Pattern.compile("([+*-])(\\d+)");

    @Override
    public Verdict verify(Task task, String response) {
        Matcher m = START.matcher(response);
        if (!m.lookingAt()) {
            return Verdict.unparseable("the attempt does not open with its start 'A<number>;'");
        }
        long start = Long.parseLong(m.group(1));
        Matcher q = QUESTION.matcher(task.prompt());
        if (!q.matches()) {
            throw new IllegalArgumentException("task '" + task.id()
                    + "' is not a start-search question (Q<ops>=<result>:): '" + task.prompt() + "'");
        }
        int modulus = Integer.parseInt(task.require(StartSearch.MODULUS));
        long target = Long.parseLong(q.group(2));
        Long end = evaluate(start, q.group(1), modulus);
        if (end == null) {
            return Verdict.incorrect(m.group(1), 0.0, "A" + m.group(1) + " overflows the chain");
        }
        if (end == target) {
            return Verdict.correct(m.group(1), "A" + m.group(1) + " reaches " + target);
        }
        return Verdict.incorrect(m.group(1), 0.0, "A" + m.group(1) + " reaches " + end + ", not " + target);
    }

    /** The chain {@code ops} ({@code +5-7*2}) from {@code start}; null on overflow without a modulus. */
    static Long evaluate(long start, String ops, int modulus) {
        long value = modulus > 0 ? Math.floorMod(start, modulus) : start;
        Matcher op = OP.matcher(ops);
        try {
            while (op.find()) {
                long b = Long.parseLong(op.group(2));
                value = switch (op.group(1).charAt(0)) {
                    case '+' -> Math.addExact(value, b);
                    case '-' -> Math.subtractExact(value, b);
                    default -> Math.multiplyExact(value, b);
                };
                if (modulus > 0) {
                    value = Math.floorMod(value, modulus);
                }
            }
        } catch (ArithmeticException e) {
            return null;
        }
        return value;
    }
}
