package dev.revise.envs.synthetic;

import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Imperfect worked solutions for supervised warm-up (docs/self-correction-notes.md): each step's result
 * is replaced, with probability {@code stepError}, by a wrong value, and the chain continues from
 * the written value, so every error is locally checkable on re-reading. Two independent noisy
 * attempts per problem give a base policy whose second attempt is no better than its first.
 */
public final class NoisyAttempts {
    private static final Pattern STEP = Pattern.compile("(-?\\d+)([+*-])(\\d+)=(-?\\d+)");

    private final SyntheticArithmetic task;
    private final double stepError;

    public NoisyAttempts(SyntheticArithmetic task, double stepError) {
        if (!(stepError >= 0 && stepError < 1)) {
            throw new IllegalArgumentException("sft.step_error must be in [0, 1), got " + stepError);
        }
        this.task = task;
        this.stepError = stepError;
    }

    /** A noisy rewrite of a reference solution such as {@code 3+5=8;8-7=1;A1}. */
    public String attempt(String solution, SplittableRandom rng) {
        String[] steps = solution.split(";");
        StringBuilder sb = new StringBuilder();
        Long carried = null;
        for (int i = 0; i < steps.length - 1; i++) {
            Matcher m = STEP.matcher(steps[i]);
            if (!m.matches()) {
                throw new IllegalArgumentException("not a synthetic solution step: '" + steps[i] + "' in " + solution);
            }
            long a = carried == null ? Long.parseLong(m.group(1)) : carried;
            char op = m.group(2).charAt(0);
            long b = Long.parseLong(m.group(3));
            long value = apply(a, op, b, task.modulus());
            if (rng.nextDouble() < stepError) {
                value = wrongValue(value, task.modulus(), rng);
            }
            sb.append(a).append(op).append(b).append('=').append(value).append(';');
            carried = value;
        }
        return sb.append('A').append(carried).toString();
    }

    /** {@code a op b}, reduced modulo {@code modulus} when it is not 0. */
    static long apply(long a, char op, long b, int modulus) {
        long value =
                switch (op) {
                    case '+' -> a + b;
                    case '-' -> a - b;
                    default -> a * b;
                };
        return modulus > 0 ? Math.floorMod(value, modulus) : value;
    }

    /** A value other than {@code value}: uniform over the other residues, or off by 1..9. */
    static long wrongValue(long value, int modulus, SplittableRandom rng) {
        if (modulus > 0) {
            return (Math.floorMod(value, modulus) + 1 + rng.nextInt(modulus - 1)) % modulus;
        }
        long off = 1 + rng.nextInt(9);
        return rng.nextBoolean() ? value + off : value - off;
    }
}
