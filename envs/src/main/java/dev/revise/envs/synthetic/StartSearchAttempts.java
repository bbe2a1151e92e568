package dev.revise.envs.synthetic;

import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Imperfect {@link StartSearch} attempts for supervised warm-up: with probability {@code
 * startError} the committed start is another one than the reference's, and the chain is then
 * evaluated from it, each step's result wrong with probability {@code stepError} (the chain
 * continuing from the written value, as {@link NoisyAttempts}). Independent attempts per problem
 * give a base whose later attempts do not read the earlier ones.
 */
public final class StartSearchAttempts {
    private static final Pattern STEP = Pattern.compile("(-?\\d+)([+*-])(\\d+)=(-?\\d+)");

    private final StartSearch task;
    private final double startError;
    private final double stepError;

    public StartSearchAttempts(StartSearch task, double startError, double stepError) {
        if (!(startError >= 0 && startError < 1)) {
            throw new IllegalArgumentException("sft.start_error must be in [0, 1), got " + startError);
        }
        if (!(stepError >= 0 && stepError < 1)) {
            throw new IllegalArgumentException("sft.step_error must be in [0, 1), got " + stepError);
        }
        this.task = task;
        this.startError = startError;
        this.stepError = stepError;
    }

    /** A noisy rewrite of a reference attempt such as {@code A8;8+5=3;3-7=6}. */
    public String attempt(String solution, SplittableRandom rng) {
        String[] parts = solution.split(";");
        if (parts.length < 2 || !parts[0].matches("A-?\\d+")) {
            throw new IllegalArgumentException("not a start-search solution: '" + solution + "'");
        }
        int modulus = task.chain().modulus();
        long start = Long.parseLong(parts[0].substring(1));
        if (rng.nextDouble() < startError) {
            start = NoisyAttempts.wrongValue(start, modulus, rng);
        }
        StringBuilder sb = new StringBuilder("A").append(start);
        long value = start;
        for (int i = 1; i < parts.length; i++) {
            Matcher m = STEP.matcher(parts[i]);
            if (!m.matches()) {
                throw new IllegalArgumentException("not a start-search step: '" + parts[i] + "' in " + solution);
            }
            char op = m.group(2).charAt(0);
            long b = Long.parseLong(m.group(3));
            long next = NoisyAttempts.apply(value, op, b, modulus);
            if (rng.nextDouble() < stepError) {
                next = NoisyAttempts.wrongValue(next, modulus, rng);
            }
            sb.append(';').append(value).append(op).append(b).append('=').append(next);
            value = next;
        }
        return sb.toString();
    }
}
