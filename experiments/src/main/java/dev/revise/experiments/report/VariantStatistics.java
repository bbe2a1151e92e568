package dev.revise.experiments.report;

import dev.revise.rl.metrics.Proportions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.math3.distribution.TDistribution;
import org.apache.commons.math3.stat.inference.MannWhitneyUTest;
import org.apache.commons.math3.stat.inference.TTest;

/**
 * The statistics of a comparison: per-variant means with 95% t intervals across seeds, and for
 * every pair of variants the across-seed tests (Welch's t, Mann-Whitney U, Cohen's d) and the
 * paired per-problem tests on runs of the same seed, which saw the same held-out problems with
 * the same sampling seeds (exact McNemar on final-turn correctness, an exact sign test on each
 * problem's Delta contribution c_tK - c_t1); p-values are Holm-corrected within each family.
 *
 * <p>When the evaluations have several samples per problem ({@code eval.samples} > 1: a task id
 * repeats in a run's episodes), the samples of one problem are not independent, so the paired
 * test is on problems, not episodes: per seed and problem, the mean over its samples of each
 * variant's value, and the exact sign test on the problems where one mean is higher ({@link
 * #pairedTest}).
 */
public final class VariantStatistics {
    private VariantStatistics() {}

    /** Mean and 95% interval across seeds (t with n - 1 degrees of freedom; a point for n = 1). */
    public record Summary(double mean, double lo, double hi, int n) {}

    public static Summary summary(double[] values) {
        int n = values.length;
        double mean = Arrays.stream(values).average().orElse(Double.NaN);
        if (n < 2) {
            return new Summary(mean, mean, mean, n);
        }
        double sd = sd(values);
        double half = new TDistribution(n - 1).inverseCumulativeProbability(0.975) * sd / Math.sqrt(n);
        return new Summary(mean, mean - half, mean + half, n);
    }

    /** One pairwise comparison of a metric. */
    public record Pair(
            String a,
            String b,
            String metric,
            double meanA,
            double meanB,
            double welchP,
            double mannWhitneyP,
            double cohenD,
            String pairedUnit,
            String pairedTest,
            long pairedUnits,
            long aBetter,
            long bBetter,
            double pairedP,
            double welchPHolm,
            double pairedPHolm) {}

    /**
     * Pairwise tests of {@code metric} ("acc_final" or "delta") between every two variants, Holm
     * corrected over the pairs.
     */
    public static List<Pair> pairwise(Map<String, List<RunData>> byVariant, String metric) {
        List<String> names = new ArrayList<>(byVariant.keySet());
        boolean byProblem = pairsProblems(byVariant);
        List<Pair> raw = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            for (int j = i + 1; j < names.size(); j++) {
                List<RunData> a = byVariant.get(names.get(i));
                List<RunData> b = byVariant.get(names.get(j));
                double[] xa = values(a, metric);
                double[] xb = values(b, metric);
                double welch = xa.length >= 2 && xb.length >= 2 ? safe(() -> new TTest().tTest(xa, xb)) : Double.NaN;
                double mw = safe(() -> new MannWhitneyUTest().mannWhitneyUTest(xa, xb));
                long[] paired = paired(a, b, metric, byProblem);
                double pairedP = byProblem
                        ? Proportions.signTest(paired[1], paired[2])
                        : Proportions.mcnemarExact(paired[1], paired[2]);
                raw.add(new Pair(
                        names.get(i),
                        names.get(j),
                        metric,
                        mean(xa),
                        mean(xb),
                        welch,
                        mw,
                        cohenD(xa, xb),
                        pairedUnit(byProblem),
                        pairedTest(byProblem),
                        paired[0],
                        paired[1],
                        paired[2],
                        pairedP,
                        Double.NaN,
                        Double.NaN));
            }
        }
        double[] welchHolm = holm(raw.stream().mapToDouble(Pair::welchP).toArray());
        double[] pairedHolm = holm(raw.stream().mapToDouble(Pair::pairedP).toArray());
        List<Pair> out = new ArrayList<>();
        for (int k = 0; k < raw.size(); k++) {
            Pair p = raw.get(k);
            out.add(new Pair(
                    p.a(),
                    p.b(),
                    p.metric(),
                    p.meanA(),
                    p.meanB(),
                    p.welchP(),
                    p.mannWhitneyP(),
                    p.cohenD(),
                    p.pairedUnit(),
                    p.pairedTest(),
                    p.pairedUnits(),
                    p.aBetter(),
                    p.bBetter(),
                    p.pairedP(),
                    welchHolm[k],
                    pairedHolm[k]));
        }
        return out;
    }

    /** The metric of each run: final-turn accuracy or Delta of its last evaluation. */
    static double[] values(List<RunData> runs, String metric) {
        return runs.stream()
                .mapToDouble(r -> metric.equals("delta") ? r.delta() : r.accuracy(r.turns() - 1))
                .toArray();
    }

    /**
     * Whether the paired tests are on problems: some run's evaluation has several episodes of one
     * problem (its task ids repeat). Otherwise every episode is its own problem.
     */
    public static boolean pairsProblems(Map<String, List<RunData>> byVariant) {
        return byVariant.values().stream().flatMap(List::stream).anyMatch(RunData::repeatsProblems);
    }

    /** "episodes" or "problems": what a paired test counts. */
    public static String pairedUnit(boolean byProblem) {
        return byProblem ? "problems" : "episodes";
    }

    /** "mcnemar_exact" (episodes) or "sign_test_problems" (problems' mean values). */
    public static String pairedTest(boolean byProblem) {
        return byProblem ? "sign_test_problems" : "mcnemar_exact";
    }

    /**
     * Units matched by seed: {total, a better, b better}. A unit is an episode (matched by
     * position), or with {@code byProblem} a problem of one seed (its episodes' values averaged;
     * both runs have the same episodes of it, as their task ids are equal). "Better" is final-turn
     * correct vs not (acc_final), or a larger Delta contribution c_tK - c_t1 (delta); for a
     * problem, a larger mean of these over its samples.
     */
    static long[] paired(List<RunData> a, List<RunData> b, String metric, boolean byProblem) {
        long n = 0;
        long aBetter = 0;
        long bBetter = 0;
        for (RunData x : a) {
            for (RunData y : b) {
                if (x.seed() != y.seed()
                        || !x.taskIds().equals(y.taskIds())
                        || x.taskIds().isEmpty()) {
                    continue;
                }
                // per unit, the sums of each run's values (equal counts, so comparing sums compares means)
                Map<String, long[]> units = new LinkedHashMap<>();
                for (int i = 0; i < x.correct().size(); i++) {
                    int[] cx = x.correct().get(i);
                    int[] cy = y.correct().get(i);
                    int vx = metric.equals("delta") ? cx[cx.length - 1] - cx[0] : cx[cx.length - 1];
                    int vy = metric.equals("delta") ? cy[cy.length - 1] - cy[0] : cy[cy.length - 1];
                    String unit = byProblem ? x.taskIds().get(i) : Integer.toString(i);
                    long[] sums = units.computeIfAbsent(unit, k -> new long[2]);
                    sums[0] += vx;
                    sums[1] += vy;
                }
                for (long[] sums : units.values()) {
                    n++;
                    aBetter += sums[0] > sums[1] ? 1 : 0;
                    bBetter += sums[1] > sums[0] ? 1 : 0;
                }
            }
        }
        return new long[] {n, aBetter, bBetter};
    }

    /** Holm-Bonferroni adjusted p-values (NaN stays NaN and is not counted). */
    static double[] holm(double[] p) {
        Integer[] order = new Integer[p.length];
        int m = 0;
        for (int i = 0; i < p.length; i++) {
            order[i] = i;
            m += Double.isNaN(p[i]) ? 0 : 1;
        }
        Arrays.sort(order, (x, y) -> Double.compare(Double.isNaN(p[x]) ? 2 : p[x], Double.isNaN(p[y]) ? 2 : p[y]));
        double[] out = new double[p.length];
        Arrays.fill(out, Double.NaN);
        double running = 0;
        for (int rank = 0; rank < m; rank++) {
            int i = order[rank];
            running = Math.max(running, Math.min(1.0, (m - rank) * p[i]));
            out[i] = running;
        }
        return out;
    }

    static double cohenD(double[] a, double[] b) {
        if (a.length < 2 || b.length < 2) {
            return Double.NaN;
        }
        double pooled = Math.sqrt(((a.length - 1) * Math.pow(sd(a), 2) + (b.length - 1) * Math.pow(sd(b), 2))
                / (a.length + b.length - 2));
        return pooled == 0 ? Double.NaN : (mean(a) - mean(b)) / pooled;
    }

    static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(Double.NaN);
    }

    static double sd(double[] v) {
        double m = mean(v);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / (v.length - 1));
    }

    private static double safe(java.util.function.DoubleSupplier f) {
        try {
            double v = f.getAsDouble();
            return v;
        } catch (RuntimeException e) {
            return Double.NaN; // e.g. zero variance on both sides: no test
        }
    }

    /** Per variant: metric name to its summary across seeds. */
    public static Map<String, Map<String, Summary>> summaries(Map<String, List<RunData>> byVariant) {
        Map<String, Map<String, Summary>> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<RunData>> e : byVariant.entrySet()) {
            List<RunData> runs = e.getValue();
            Map<String, Summary> m = new LinkedHashMap<>();
            int turns = runs.get(0).turns();
            for (int t = 0; t < turns; t++) {
                int k = t;
                m.put(
                        "Acc@t" + (t + 1),
                        summary(runs.stream().mapToDouble(r -> r.accuracy(k)).toArray()));
            }
            if (turns >= 2) {
                m.put("Delta", summary(runs.stream().mapToDouble(RunData::delta).toArray()));
                m.put(
                        "i->c",
                        summary(runs.stream()
                                .mapToDouble(r -> r.metric("delta_i_to_c"))
                                .toArray()));
                m.put(
                        "c->i",
                        summary(runs.stream()
                                .mapToDouble(r -> r.metric("delta_c_to_i"))
                                .toArray()));
            }
            out.put(e.getKey(), m);
        }
        return out;
    }
}
