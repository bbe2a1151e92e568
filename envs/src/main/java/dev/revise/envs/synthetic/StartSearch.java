package dev.revise.envs.synthetic;

import dev.revise.rl.Task;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32;

/**
 * Start search: find the number a chain of operations starts from, given the operations and the
 * chain's result. A search problem in which checking is easier than producing: committing to a
 * start means inverting the whole chain at once, while checking a candidate is a left-to-right
 * evaluation whose every step is checkable on re-reading, and whose end says how far off the start
 * was. The self-correction probe's showcase task (docs/results/self-correction-probe).
 *
 * <p>The question hides the start of a {@link SyntheticArithmetic} chain and gives its result:
 * {@code Q+5-7+2=8:} (the start is the blank after {@code Q}). An attempt commits to a start
 * first, then evaluates the chain from it: {@code A8;8+5=3;3-7=6;6+2=8}. Only the committed start
 * is graded ({@link StartSearchVerifier}): the steps are the attempt's own check, so a slip in
 * them costs nothing in this attempt but misleads the next. Any start whose chain reaches the
 * result is right (with {@code *} in the alphabet there can be several).
 *
 * <p>Knobs as {@link SyntheticArithmetic} (the chain's), under {@code task.start_search}, and
 * {@code result}: null for the chain's own (random) result, or a fixed one. With a fixed result
 * (the default 0), an attempt's check chain ends at r1 and the right start is s1 + (result - r1):
 * with result 0 a single operation on two numbers attempt 1 wrote, where producing a start means
 * summing the whole chain at once.
 *
 * @param chain the hidden chain's generator
 * @param result the chains' result (null: each chain's own)
 */
public record StartSearch(SyntheticArithmetic chain, Integer result) implements TaskFamily {
    /** Metadata key of the modulus the verifier evaluates with ("0": exact integers). */
    public static final String MODULUS = "modulus";

    public StartSearch {
        if (chain == null) {
            throw new IllegalArgumentException("task.start_search: no chain");
        }
        if (result != null) {
            // shifting the start shifts every value of a +/- chain alike: any target is reached from one start
            if (chain.modulus() <= 0 || !chain.operators().matches("[+-]+")) {
                throw new IllegalArgumentException("task.start_search.result: a fixed result needs operators of"
                        + " + and - only and a modulus > 0 (got operators '" + chain.operators() + "', modulus "
                        + chain.modulus() + ")");
            }
            if (result < 0 || result >= chain.modulus()) {
                throw new IllegalArgumentException("task.start_search.result: expected 0.." + (chain.modulus() - 1)
                        + " (below the modulus), got " + result);
            }
        }
    }

    /** Chains ending where they happen to (a random result). */
    public StartSearch(SyntheticArithmetic chain) {
        this(chain, null);
    }

    public StartSearch(int steps, int digits, String operators, int modulus, int heldOutPercent) {
        this(new SyntheticArithmetic(steps, digits, operators, modulus, heldOutPercent));
    }

    /** One problem: its question, the reference attempt (from the chain's own start) and that start. */
    public record Problem(String question, String solution, String answer, int modulus) {
        public Task toTask() {
            return new Task(
                    "search:" + question,
                    question,
                    answer,
                    Map.of("solution", solution, "source", "start_search", MODULUS, Integer.toString(modulus)));
        }
    }

    /** The problem drawn from {@code rng}. */
    public Problem generate(SplittableRandom rng) {
        SyntheticArithmetic.Problem p = chain.generate(rng);
        String q = p.question(); // Q3+5-7+2:
        int opsFrom = 2;
        while (opsFrom < q.length() && Character.isDigit(q.charAt(opsFrom))) {
            opsFrom++;
        }
        String start = q.substring(1, opsFrom);
        String ops = q.substring(opsFrom, q.length() - 1);
        String steps = p.solution().substring(0, p.solution().lastIndexOf(';')); // drop ;A<result>
        if (result == null) {
            return new Problem("Q" + ops + "=" + p.answer() + ":", "A" + start + ";" + steps, start, chain.modulus());
        }
        long shifted = Math.floorMod(Long.parseLong(start) + result - Long.parseLong(p.answer()), chain.modulus());
        return new Problem(
                "Q" + ops + "=" + result + ":",
                "A" + shifted + ";" + evaluate(shifted, ops),
                Long.toString(shifted),
                chain.modulus());
    }

    /** The steps of the chain {@code ops} ({@code +5-7}) from {@code value}, modulo the chain's modulus. */
    private String evaluate(long value, String ops) {
        StringBuilder out = new StringBuilder();
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("([+-])(\\d+)").matcher(ops);
        while (m.find()) {
            long b = Long.parseLong(m.group(2));
            long next = Math.floorMod(m.group(1).equals("+") ? value + b : value - b, chain.modulus());
            out.append(out.isEmpty() ? "" : ";")
                    .append(value)
                    .append(m.group(1))
                    .append(b)
                    .append('=')
                    .append(next);
            value = next;
        }
        return out.toString();
    }

    /** The problem of the stream seeded with {@code seed} at {@code i}. */
    public Problem problem(long seed, long i) {
        return generate(new SplittableRandom(SyntheticArithmetic.mix(seed, i)));
    }

    @Override
    public Task task(long seed, long i) {
        return problem(seed, i).toTask();
    }

    @Override
    public boolean isHeldOut(String question) {
        CRC32 crc = new CRC32();
        crc.update(question.getBytes(StandardCharsets.UTF_8));
        return crc.getValue() % 100 < chain.heldOutPercent();
    }

    @Override
    public int heldOutPercent() {
        return chain.heldOutPercent();
    }

    @Override
    public String configSection() {
        return "task.start_search";
    }
}
