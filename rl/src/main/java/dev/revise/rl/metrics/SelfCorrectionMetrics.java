package dev.revise.rl.metrics;

import dev.revise.rl.Trajectory;
import dev.revise.rl.Turn;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The self-correction metrics of docs/algorithms.md over trajectories of K turns (one or more samples
 * per problem). A trajectory that stopped early because it was correct (oracle feedback) counts
 * as correct at every later turn (its last verdict carries forward).
 *
 * <p>The unit of inference is the problem (the task id). With one trajectory per problem the
 * intervals and the test are the exact per-episode ones: Wilson intervals, the paired normal
 * interval of Delta, exact McNemar. When some problem has several samples, its trajectories are
 * correlated (same problem, same difficulty), so the intervals and the test are computed over
 * problems: {@link Proportions#clusteredWilson}, {@link Proportions#clusteredPairedDifference} (the
 * t interval on the per-problem mean differences) and the exact sign test on the per-problem mean
 * differences ({@link Proportions#signTest}). {@link Report#inference()} says which.
 */
public final class SelfCorrectionMetrics {
    private SelfCorrectionMetrics() {}

    /**
     * @param turns K
     * @param problems distinct task ids
     * @param trajectories trajectories scored (problems x samples)
     * @param accuracy Acc@t for t = 1..K, fractions of trajectories correct at turn t
     * @param accuracyCi 95% intervals of {@code accuracy} (Wilson, or over problems: see {@code inference})
     * @param delta Acc@t2 - Acc@t1 (0 when K = 1)
     * @param deltaCi 95% paired interval of delta (over episodes, or over problems)
     * @param incorrectToCorrect fraction wrong at t1 and right at t2
     * @param correctToIncorrect fraction right at t1 and wrong at t2
     * @param transitions per adjacent pair (t, t+1): {{c->c, c->i}, {i->c, i->i}} counts
     * @param mcnemarP p-value of turn 1 vs turn 2: exact McNemar with one trajectory per problem, else the
     *     exact sign test on the per-problem mean differences
     * @param confidence P(c->c | c at t1): keeps correct answers correct
     * @param critique P(i->c | i at t1): turns wrong answers right
     * @param editRatio mean normalised edit distance between consecutive attempts (0 = identical)
     * @param changedAnswer fraction of consecutive attempt pairs whose extracted answers differ
     * @param majorityOverTurns m1@tK: the majority of the K attempts' answers is correct
     * @param anyCorrect p1@tK: some attempt is correct (what an oracle stop reports)
     * @param incorrectToCorrectCi 95% interval of {@code incorrectToCorrect}
     * @param correctToIncorrectCi 95% interval of {@code correctToIncorrect}
     * @param majorityOverTurnsCi 95% interval of {@code majorityOverTurns}
     * @param anyCorrectCi 95% interval of {@code anyCorrect}
     * @param inference the unit of inference and the methods of the intervals and of {@code
     *     mcnemarP} (exact McNemar on episodes, or the sign test on problems)
     */
    public record Report(
            int turns,
            int problems,
            int trajectories,
            double[] accuracy,
            double[][] accuracyCi,
            double delta,
            double[] deltaCi,
            double incorrectToCorrect,
            double correctToIncorrect,
            long[][][] transitions,
            double mcnemarP,
            double confidence,
            double critique,
            double editRatio,
            double changedAnswer,
            double majorityOverTurns,
            double anyCorrect,
            double[] incorrectToCorrectCi,
            double[] correctToIncorrectCi,
            double[] majorityOverTurnsCi,
            double[] anyCorrectCi,
            Inference inference) {}

    /**
     * How a report's intervals and turn-1 vs turn-2 test were computed.
     *
     * @param clustered some problem has more than one trajectory: inference over problems
     * @param clusters distinct problems (the units when clustered)
     * @param minSamples fewest trajectories of a problem
     * @param maxSamples most trajectories of a problem
     */
    public record Inference(boolean clustered, int clusters, int minSamples, int maxSamples) {
        /** "episode" (one trajectory per problem) or "problem". */
        public String unit() {
            return clustered ? "problem" : "episode";
        }

        /** The intervals of Acc@t, i->c, c->i, p1@tK, m1@tK: "wilson" or "problem_cluster_wilson". */
        public String intervalMethod() {
            return clustered ? "problem_cluster_wilson" : "wilson";
        }

        /** The interval of Delta: "paired_normal" or "problem_means_t". */
        public String deltaIntervalMethod() {
            return clustered ? "problem_means_t" : "paired_normal";
        }

        /** The test of turn 1 vs turn 2: "mcnemar_exact" or "sign_test_problems". */
        public String pairedTest() {
            return clustered ? "sign_test_problems" : "mcnemar_exact";
        }

        /** The test's name for people: "McNemar" or "sign test (problems)". */
        public String pairedTestLabel() {
            return clustered ? "sign test (problems)" : "McNemar";
        }
    }

    public static Report of(List<Trajectory> trajectories, int turns) {
        if (trajectories.isEmpty()) {
            throw new IllegalArgumentException("no trajectories to evaluate");
        }
        int n = trajectories.size();
        boolean[][] correct = new boolean[n][turns];
        String[][] answers = new String[n][turns];
        java.util.Set<String> problems = new java.util.HashSet<>();
        double editSum = 0;
        double changed = 0;
        int pairs = 0;
        double majority = 0;
        double any = 0;
        int[] majorityFlags = new int[n];
        int[] anyFlags = new int[n];
        for (int i = 0; i < n; i++) {
            Trajectory t = trajectories.get(i);
            problems.add(t.taskId());
            if (t.size() == 0 || t.size() > turns) {
                throw new IllegalArgumentException(
                        "trajectory of task '" + t.taskId() + "' has " + t.size() + " turns, expected 1.." + turns);
            }
            for (int k = 0; k < turns; k++) {
                Turn turn = t.turn(Math.min(k, t.size() - 1));
                if (k >= t.size() && !t.last().verdict().correct()) {
                    throw new IllegalArgumentException("trajectory of task '" + t.taskId() + "' stopped after "
                            + t.size() + " turns without a correct answer; cannot fill turns up to " + turns);
                }
                correct[i][k] = turn.verdict().correct();
                answers[i][k] = turn.verdict().extracted();
            }
            for (int k = 1; k < t.size(); k++) {
                editSum += editRatio(
                        t.turn(k - 1).completion().text(),
                        t.turn(k).completion().text());
                String a = t.turn(k - 1).verdict().extracted();
                String b = t.turn(k).verdict().extracted();
                changed += (a == null ? b != null : !a.equals(b)) ? 1 : 0;
                pairs++;
            }
            majorityFlags[i] = majorityCorrect(t) ? 1 : 0;
            anyFlags[i] = t.turns().stream().anyMatch(x -> x.verdict().correct()) ? 1 : 0;
            majority += majorityFlags[i];
            any += anyFlags[i];
        }
        // the problems as clusters of trajectories, in first-seen order
        Map<String, List<Integer>> byProblem = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            byProblem
                    .computeIfAbsent(trajectories.get(i).taskId(), k -> new ArrayList<>())
                    .add(i);
        }
        int[][] members = byProblem.values().stream()
                .map(l -> l.stream().mapToInt(Integer::intValue).toArray())
                .toArray(int[][]::new);
        int minSamples = Arrays.stream(members).mapToInt(m -> m.length).min().orElse(0);
        int maxSamples = Arrays.stream(members).mapToInt(m -> m.length).max().orElse(0);
        Inference inference = new Inference(maxSamples > 1, members.length, minSamples, maxSamples);
        long[] sizes = Arrays.stream(members).mapToLong(m -> m.length).toArray();
        double[] acc = new double[turns];
        double[][] accCi = new double[turns][];
        for (int k = 0; k < turns; k++) {
            int turn = k;
            long c = 0;
            for (int i = 0; i < n; i++) {
                c += correct[i][k] ? 1 : 0;
            }
            acc[k] = (double) c / n;
            accCi[k] = inference.clustered()
                    ? Proportions.clusteredWilson(perProblem(members, i -> correct[i][turn] ? 1 : 0), sizes)
                    : Proportions.wilson(c, n);
        }
        long[][][] transitions = new long[Math.max(0, turns - 1)][2][2];
        for (int k = 0; k + 1 < turns; k++) {
            for (int i = 0; i < n; i++) {
                transitions[k][correct[i][k] ? 0 : 1][correct[i][k + 1] ? 0 : 1]++;
            }
        }
        double delta = 0;
        double[] deltaCi = {0, 0};
        double iToC = 0;
        double cToI = 0;
        double[] iToCCi = {0, 0};
        double[] cToICi = {0, 0};
        double p = 1;
        double confidence = Double.NaN;
        double critique = Double.NaN;
        if (turns >= 2) {
            long cc = transitions[0][0][0];
            long ci = transitions[0][0][1];
            long ic = transitions[0][1][0];
            long ii = transitions[0][1][1];
            delta = acc[1] - acc[0];
            iToC = (double) ic / n;
            cToI = (double) ci / n;
            if (inference.clustered()) {
                long[] iToCPerProblem = perProblem(members, i -> !correct[i][0] && correct[i][1] ? 1 : 0);
                long[] cToIPerProblem = perProblem(members, i -> correct[i][0] && !correct[i][1] ? 1 : 0);
                long[] differences = new long[members.length];
                long better = 0;
                long worse = 0;
                for (int j = 0; j < members.length; j++) {
                    differences[j] = iToCPerProblem[j] - cToIPerProblem[j];
                    better += differences[j] > 0 ? 1 : 0;
                    worse += differences[j] < 0 ? 1 : 0;
                }
                deltaCi = Proportions.clusteredPairedDifference(differences, sizes);
                iToCCi = Proportions.clusteredWilson(iToCPerProblem, sizes);
                cToICi = Proportions.clusteredWilson(cToIPerProblem, sizes);
                p = Proportions.signTest(better, worse);
            } else {
                deltaCi = Proportions.pairedDifference(ic, ci, n);
                iToCCi = Proportions.wilson(ic, n);
                cToICi = Proportions.wilson(ci, n);
                p = Proportions.mcnemarExact(ic, ci);
            }
            confidence = cc + ci == 0 ? Double.NaN : (double) cc / (cc + ci);
            critique = ic + ii == 0 ? Double.NaN : (double) ic / (ic + ii);
        }
        long majorityCount = Math.round(majority);
        long anyCount = Math.round(any);
        double[] majorityCi = inference.clustered()
                ? Proportions.clusteredWilson(perProblem(members, i -> majorityFlags[i]), sizes)
                : Proportions.wilson(majorityCount, n);
        double[] anyCi = inference.clustered()
                ? Proportions.clusteredWilson(perProblem(members, i -> anyFlags[i]), sizes)
                : Proportions.wilson(anyCount, n);
        return new Report(
                turns,
                problems.size(),
                n,
                acc,
                accCi,
                delta,
                deltaCi,
                iToC,
                cToI,
                transitions,
                p,
                confidence,
                critique,
                pairs == 0 ? 0 : editSum / pairs,
                pairs == 0 ? 0 : changed / pairs,
                majority / n,
                any / n,
                iToCCi,
                cToICi,
                majorityCi,
                anyCi,
                inference);
    }

    /** Per problem, the sum of {@code value} over its trajectories. */
    private static long[] perProblem(int[][] members, java.util.function.IntToLongFunction value) {
        long[] out = new long[members.length];
        for (int j = 0; j < members.length; j++) {
            for (int i : members[j]) {
                out[j] += value.applyAsLong(i);
            }
        }
        return out;
    }

    /** Whether the most frequent extracted answer (ties: the earliest) belongs to a correct attempt. */
    public static boolean majorityCorrect(Trajectory t) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        Map<String, Boolean> right = new HashMap<>();
        for (Turn turn : t.turns()) {
            String a = turn.verdict().extracted();
            if (a == null) {
                continue;
            }
            counts.merge(a, 1, Integer::sum);
            right.merge(a, turn.verdict().correct(), Boolean::logicalOr);
        }
        String best = null;
        int bestCount = 0;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            if (e.getValue() > bestCount) {
                best = e.getKey();
                bestCount = e.getValue();
            }
        }
        return best != null && right.get(best);
    }

    /** Levenshtein distance divided by the longer length (0 for two empty strings). */
    public static double editRatio(String a, String b) {
        int max = Math.max(a.length(), b.length());
        if (max == 0) {
            return 0;
        }
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] tmp = prev;
            prev = cur;
            cur = tmp;
        }
        return (double) prev[b.length()] / max;
    }

    /** Report metrics as flat '/'-named numbers for metrics.jsonl. */
    public static Map<String, Double> asMetrics(Report r, String prefix) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int k = 0; k < r.turns(); k++) {
            m.put(prefix + "acc_t" + (k + 1), r.accuracy()[k]);
        }
        if (r.turns() >= 2) {
            m.put(prefix + "delta", r.delta());
            m.put(prefix + "incorrect_to_correct", r.incorrectToCorrect());
            m.put(prefix + "correct_to_incorrect", r.correctToIncorrect());
        }
        m.put(prefix + "edit_ratio", r.editRatio());
        m.put(prefix + "changed_answer", r.changedAnswer());
        return m;
    }
}
