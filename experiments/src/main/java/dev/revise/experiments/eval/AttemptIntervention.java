package dev.revise.experiments.eval;

import dev.revise.rl.Completion;
import dev.revise.rl.Task;
import dev.revise.rl.Trajectory;
import dev.revise.rl.rollout.Seeds;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The counterfactual probe of {@code revise eval --intervene MODE}: what stands in place of the
 * policy's first attempt before it writes the second, to see whether attempt 2 reads attempt 1.
 *
 * <ul>
 *   <li>{@code own}: nothing replaced (plain evaluation).
 *   <li>{@code gold}: the task's reference solution (metadata {@code solution}).
 *   <li>{@code corrupt}: the policy's own first attempt with one slip ({@link #corrupt}), on the
 *       problems whose own first attempt was right and whose slipped one is graded wrong; the
 *       others are left out of the report, which says how many were kept.
 *   <li>{@code other}: the policy's own first attempt at another problem (the next in the list).
 * </ul>
 *
 * <p>A step is an {@code a op b = c} in the attempt's text (the generated families write one per
 * {@code ;}-separated item, the layout {@link #repairLocality} reads).
 */
public final class AttemptIntervention {
    private static final Pattern STEP = Pattern.compile("(-?\\d+)([+*-])(\\d+)=(-?\\d+)");

    /** The modes, in their command-line spelling. */
    public enum Mode {
        OWN,
        GOLD,
        CORRUPT,
        OTHER;

        public static Mode parse(String s) {
            for (Mode m : values()) {
                if (m.name().toLowerCase(Locale.ROOT).equals(s)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("--intervene: expected own, gold, corrupt or other, got '" + s + "'");
        }

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private AttemptIntervention() {}

    /**
     * {@code attempt} with one slip: the result of one of its steps ({@code a op b = c}) changed to
     * another value, chosen by {@code seed}, and the steps chained after it ({@code a} equal to the
     * previous step's result) recomputed from the changed value, as a slip is carried on; a final
     * answer {@code A<n>} that was the last result becomes the new last result. When the attempt
     * commits to its answer first ({@code A<n>;} leading, as start_search's do), the slip is in
     * that answer and the whole chain is recomputed from it. Values are modulo {@code modulus}
     * when it is not 0, else exact (a result off by 1..9). Null when there is nothing to change.
     */
    public static String corrupt(String attempt, int modulus, long seed) {
        List<MatchResult> steps = new ArrayList<>();
        Matcher m = STEP.matcher(attempt);
        while (m.find()) {
            steps.add(m.toMatchResult());
        }
        Matcher lead = LEADING_ANSWER.matcher(attempt);
        boolean leading = lead.lookingAt();
        if (steps.isEmpty() && !leading) {
            return null;
        }
        SplittableRandom rng = new SplittableRandom(seed);
        int first = leading ? -1 : rng.nextInt(steps.size());
        long old = Long.parseLong(leading ? lead.group(1) : steps.get(first).group(4));
        long value = wrong(old, modulus, rng);
        StringBuilder out = new StringBuilder();
        int copied = 0;
        if (leading) {
            out.append(attempt, 0, lead.start(1)).append(value);
            copied = lead.end(1);
        }
        long prevOld = old;
        for (int k = Math.max(first, 0); k < steps.size(); k++) {
            MatchResult st = steps.get(k);
            long a = Long.parseLong(st.group(1));
            long c = Long.parseLong(st.group(4));
            if (k == first) {
                out.append(attempt, copied, st.start(4)).append(value);
            } else if (a == prevOld) {
                long b = Long.parseLong(st.group(3));
                long next = apply(value, st.group(2).charAt(0), b, modulus);
                out.append(attempt, copied, st.start(1))
                        .append(value)
                        .append(st.group(2))
                        .append(b)
                        .append('=');
                out.append(next);
                value = next;
            } else {
                break; // the chain ends: what follows is not computed from the slip
            }
            copied = st.end(4);
            prevOld = c;
        }
        Matcher tail = TRAILING_ANSWER.matcher(attempt);
        if (!leading && tail.find(copied) && Long.parseLong(tail.group(1)) == prevOld) {
            out.append(attempt, copied, tail.start(1)).append(value);
            copied = tail.end(1);
        }
        return out.append(attempt.substring(copied)).toString();
    }

    private static final Pattern LEADING_ANSWER = Pattern.compile("\\s*A(-?\\d+);");
    private static final Pattern TRAILING_ANSWER = Pattern.compile("A(-?\\d+)\\s*$");

    private static long wrong(long c, int modulus, SplittableRandom rng) {
        if (modulus > 0) {
            return (Math.floorMod(c, modulus) + 1 + rng.nextInt(modulus - 1)) % modulus;
        }
        long off = 1 + rng.nextInt(9);
        return rng.nextBoolean() ? c + off : c - off;
    }

    private static long apply(long a, char op, long b, int modulus) {
        long r =
                switch (op) {
                    case '+' -> a + b;
                    case '-' -> a - b;
                    case '*' -> a * b;
                    default -> throw new IllegalStateException("op " + op);
                };
        return modulus > 0 ? Math.floorMod(r, modulus) : r;
    }

    /** The seed of the corruption of (task, sample): fixed by the eval seed, independent of everything else. */
    static long corruptionSeed(long evalSeed, Task task, int sample) {
        return Seeds.derive(evalSeed, 0, task.id(), sample, -7);
    }

    /**
     * A completion whose text is {@code text}, tokenized by {@code encode}, ending with the stop
     * token {@code sampled} ended with (if it did), so that the next turn's context reads exactly
     * as if the policy had written {@code text}. Log-probabilities are 0: nothing here was sampled.
     */
    static Completion standIn(String text, int[] encoded, Completion sampled, java.util.Set<Integer> stopIds) {
        int n = encoded.length;
        int[] ids = encoded;
        if (sampled.length() > 0 && stopIds.contains(sampled.tokenIds()[sampled.length() - 1])) {
            ids = java.util.Arrays.copyOf(encoded, n + 1);
            ids[n] = sampled.tokenIds()[sampled.length() - 1];
        }
        return new Completion(text, ids, new float[ids.length], sampled.finishReason());
    }

    /** Repair locality over episodes: the share of wrong-to-right corrections that are local edits. */
    public record Locality(int corrections, int local) {
        public Double fraction() {
            return corrections == 0 ? null : local / (double) corrections;
        }
    }

    /**
     * Among the episodes whose first attempt is wrong and second right, how many keep the steps of
     * attempt 1 before its first wrong step and change that step. The first wrong step is the
     * first {@code ;}-separated item that differs from the task's reference solution (with the
     * chain continuing from written values, later steps of a wrong attempt differ from the
     * reference even where their arithmetic is right, so only the prefix is "correct steps").
     */
    public static Locality repairLocality(List<Trajectory> episodes, java.util.Map<String, Task> tasks) {
        int corrections = 0;
        int local = 0;
        for (Trajectory t : episodes) {
            if (t.size() < 2
                    || t.turn(0).verdict().correct()
                    || !t.turn(1).verdict().correct()) {
                continue;
            }
            Task task = tasks.get(t.taskId());
            String reference = task == null ? null : task.metadata().get("solution");
            if (reference == null) {
                continue;
            }
            corrections++;
            local += isLocalRepair(
                            t.turn(0).completion().text(),
                            t.turn(1).completion().text(),
                            reference)
                    ? 1
                    : 0;
        }
        return new Locality(corrections, local);
    }

    /** Whether {@code second} keeps {@code first}'s items before its first wrong one and changes that one. */
    static boolean isLocalRepair(String first, String second, String reference) {
        String[] a = first.strip().split(";", -1);
        String[] b = second.strip().split(";", -1);
        String[] ref = reference.split(";", -1);
        int j = 0;
        while (j < a.length && j < ref.length && a[j].equals(ref[j])) {
            j++;
        }
        if (b.length < j) {
            return false;
        }
        for (int i = 0; i < j; i++) {
            if (!a[i].equals(b[i])) {
                return false;
            }
        }
        return j >= a.length || j >= b.length || !a[j].equals(b[j]);
    }
}
