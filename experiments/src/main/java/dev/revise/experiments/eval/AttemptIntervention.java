package dev.revise.experiments.eval;

import dev.revise.rl.Completion;
import dev.revise.rl.Task;
import dev.revise.rl.Trajectory;
import dev.revise.rl.rollout.Seeds;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The counterfactual probe of {@code revise eval --intervene MODE}: what stands in place of the
 * policy's first attempt before it writes the second, to see whether attempt 2 reads attempt 1.
 *
 * <ul>
 *   <li>{@code own}: nothing replaced (plain evaluation).
 *   <li>{@code gold}: the task's reference solution (metadata {@code solution}).
 *   <li>{@code corrupt}: the policy's own first attempt with one step's result changed, on the
 *       problems whose own first attempt was right and has a step to change; the others are left
 *       out of the report, which says how many were kept.
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
     * {@code attempt} with the result of one of its steps ({@code a op b = c} anywhere in the text)
     * changed to another value, the step chosen by {@code seed}: modulo {@code modulus} when it is
     * not 0, else off by 1..9. Null when the attempt has no step.
     */
    public static String corrupt(String attempt, int modulus, long seed) {
        List<int[]> results = new ArrayList<>(); // [start, end) of each step's c
        Matcher m = STEP.matcher(attempt);
        while (m.find()) {
            results.add(new int[] {m.start(4), m.end(4)});
        }
        if (results.isEmpty()) {
            return null;
        }
        SplittableRandom rng = new SplittableRandom(seed);
        int[] at = results.get(rng.nextInt(results.size()));
        long c = Long.parseLong(attempt.substring(at[0], at[1]));
        long wrong;
        if (modulus > 0) {
            wrong = (Math.floorMod(c, modulus) + 1 + rng.nextInt(modulus - 1)) % modulus;
        } else {
            long off = 1 + rng.nextInt(9);
            wrong = rng.nextBoolean() ? c + off : c - off;
        }
        return attempt.substring(0, at[0]) + wrong + attempt.substring(at[1]);
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
