package dev.revise.envs.synthetic;

import dev.revise.rl.Task;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32;

/**
 * Procedurally generated multi-step arithmetic for CPU-scale self-correction runs.
 *
 * <p>A problem is a chain of operands joined by operators, evaluated left to right (optionally
 * modulo m after every step), written {@code Q3+5-7+2-9:}; the reference solution writes every
 * step and the final answer: {@code 3+5=8;8-7=1;1+2=3;3-9=4;A4}. Each step's result is checkable
 * on re-reading, which is what makes errors correctable at the second attempt. The defaults (4
 * steps, 1-digit operands, + and -, mod 10) are the task of the feasibility prototype in
 * docs/self-correction-notes.md, where a 0.4M-parameter model sampled at temperature 1 is right
 * about 56% of the time after SFT (revise's shipped SFT base: about 70%).
 *
 * <p>Knobs: {@code steps} (chain length), {@code digits} (operand size), {@code operators} (any
 * of {@code +-*}), {@code modulus} (0 = exact integers). Held-out problems are those whose CRC32 of
 * the question, mod 100, is below {@code heldOutPercent}: a train source never yields them.
 *
 * @param steps operations per problem (1..32)
 * @param digits digits per operand (1..6)
 * @param operators the operator alphabet, a non-empty subset of {@code +-*}
 * @param modulus reduce every intermediate result modulo this (>= 2), or 0 for none
 * @param heldOutPercent percentage of the problem space reserved for evaluation (0..50)
 */
public record SyntheticArithmetic(int steps, int digits, String operators, int modulus, int heldOutPercent)
        implements TaskFamily {
    public SyntheticArithmetic {
        if (steps < 1 || steps > 32) {
            throw new IllegalArgumentException("synthetic.steps must be in [1, 32], got " + steps);
        }
        if (digits < 1 || digits > 6) {
            throw new IllegalArgumentException("synthetic.digits must be in [1, 6], got " + digits);
        }
        if (operators == null || operators.isEmpty() || !operators.chars().allMatch(c -> "+-*".indexOf(c) >= 0)) {
            throw new IllegalArgumentException(
                    "synthetic.operators must be a non-empty subset of +-*, got '" + operators + "'");
        }
        if (modulus == 1 || modulus < 0) {
            throw new IllegalArgumentException("synthetic.modulus must be 0 (none) or >= 2, got " + modulus);
        }
        if (heldOutPercent < 0 || heldOutPercent > 50) {
            throw new IllegalArgumentException("synthetic.held_out_percent must be in [0, 50], got " + heldOutPercent);
        }
    }

    /** The self-correction prototype's task: 4 steps of 1-digit +/- modulo 10, 10% held out. */
    public static SyntheticArithmetic defaults() {
        return new SyntheticArithmetic(4, 1, "+-", 10, 10);
    }

    /** One generated problem. */
    public record Problem(String question, String solution, String answer) {
        public Task toTask() {
            return new Task("syn:" + question, question, answer, Map.of("solution", solution, "source", "synthetic"));
        }
    }

    /** The problem drawn from {@code rng}. */
    public Problem generate(SplittableRandom rng) {
        long max = (long) Math.pow(10, digits);
        long value = rng.nextLong(max);
        StringBuilder question = new StringBuilder("Q").append(value);
        StringBuilder solution = new StringBuilder();
        for (int s = 0; s < steps; s++) {
            char op = operators.charAt(rng.nextInt(operators.length()));
            long operand = rng.nextLong(max);
            long next =
                    switch (op) {
                        case '+' -> value + operand;
                        case '-' -> value - operand;
                        default -> Math.multiplyExact(value, operand);
                    };
            if (modulus > 0) {
                next = Math.floorMod(next, modulus);
            }
            question.append(op).append(operand);
            solution.append(value)
                    .append(op)
                    .append(operand)
                    .append('=')
                    .append(next)
                    .append(';');
            value = next;
        }
        question.append(':');
        solution.append('A').append(value);
        return new Problem(question.toString(), solution.toString(), Long.toString(value));
    }

    /** Whether {@code question} belongs to the held-out split. */
    @Override
    public boolean isHeldOut(String question) {
        CRC32 crc = new CRC32();
        crc.update(question.getBytes(StandardCharsets.UTF_8));
        return crc.getValue() % 100 < heldOutPercent;
    }

    /** The i-th problem of the stream seeded with {@code seed} (independent of every other i). */
    public Problem problem(long seed, long i) {
        return generate(new SplittableRandom(mix(seed, i)));
    }

    @Override
    public Task task(long seed, long i) {
        return problem(seed, i).toTask();
    }

    @Override
    public String configSection() {
        return "task.synthetic";
    }

    static long mix(long seed, long i) {
        long z = seed + (i + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
