package dev.revise.experiments.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.revise.rl.metrics.Proportions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Compute-matched comparisons against a single-turn baseline (SCoRe's and RISE's claims): at K
 * attempts, each variant's Acc@tK against the baseline's Acc@t1 (K attempts of inference against
 * one), its m1@tK (majority over its K sequential attempts) against the baseline's mK@t1
 * (majority over K independent first attempts: equal inference compute), and its p1@tK (any of
 * its attempts right) against the baseline's pass@K, the ceiling of K parallel samples.
 *
 * <p>Each run's numbers come from its evaluation at K turns of its last evaluated checkpoint (the
 * training's own periodic evaluation, or {@code revise eval --turns K}); the baseline's mK@t1 and
 * pass@K come from the K parallel first attempts that every evaluation with K >= 2 samples. Means
 * are over seeds with a 95% t interval; the paired test is the exact sign test over (seed,
 * problem) units where one side is right more often, on the problems both evaluations share, with
 * Holm's correction over the table's rows. Training compute is reported as updates and the sum of
 * {@code batch/generated_tokens}.
 */
public final class MatchedComparison {
    private MatchedComparison() {}

    /** One row: a variant's metric against the baseline's at K attempts. */
    public record Row(
            String variant,
            int k,
            String metric,
            String baselineMetric,
            VariantStatistics.Summary value,
            VariantStatistics.Summary baseline,
            long units,
            long variantBetter,
            long baselineBetter,
            double p,
            double pHolm,
            double updates,
            double generatedTokens) {}

    /** The table and what kept rows out of it (a variant or K without the evaluation it needs). */
    public record Table(
            String baseline, double baselineUpdates, double baselineTokens, List<Row> rows, List<String> missing) {}

    /**
     * The baseline variant: {@code given} if set (it must exist), else the only variant trained with
     * one attempt ({@code env.turns: 1}); empty when there is none or more than one.
     */
    public static Optional<String> baseline(Map<String, List<RunData>> byVariant, String given) {
        if (given != null) {
            if (!byVariant.containsKey(given)) {
                throw new IllegalArgumentException(
                        "--baseline " + given + ": no such variant (variants: " + byVariant.keySet() + ")");
            }
            return Optional.of(given);
        }
        List<String> single = byVariant.entrySet().stream()
                .filter(e -> e.getValue().stream().allMatch(r -> r.trainedTurns() == 1))
                .map(Map.Entry::getKey)
                .toList();
        return single.size() == 1 ? Optional.of(single.get(0)) : Optional.empty();
    }

    public static Table of(Map<String, List<RunData>> byVariant, String baseline) {
        List<RunData> base = byVariant.get(baseline);
        TreeSet<Integer> ks = new TreeSet<>();
        byVariant.values().stream()
                .flatMap(List::stream)
                .flatMap(r -> r.evals().stream())
                .filter(e -> e.turns() >= 2 && e.intervene().equals("own"))
                .forEach(e -> ks.add(e.turns()));
        List<Row> rows = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, List<RunData>> v : byVariant.entrySet()) {
            if (v.getKey().equals(baseline)) {
                continue;
            }
            for (int k : ks) {
                String gap = gap(v.getValue(), base, k);
                if (gap != null) {
                    missing.add(v.getKey() + " at K=" + k + ": " + gap);
                    continue;
                }
                rows.add(row(v.getKey(), v.getValue(), base, k, "Acc@t" + k, "Acc@t1"));
                rows.add(row(v.getKey(), v.getValue(), base, k, "m1@t" + k, "m" + k + "@t1"));
                rows.add(row(v.getKey(), v.getValue(), base, k, "p1@t" + k, "pass@" + k));
            }
        }
        double[] holm = VariantStatistics.holm(rows.stream().mapToDouble(Row::p).toArray());
        List<Row> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            out.add(new Row(
                    r.variant(),
                    r.k(),
                    r.metric(),
                    r.baselineMetric(),
                    r.value(),
                    r.baseline(),
                    r.units(),
                    r.variantBetter(),
                    r.baselineBetter(),
                    r.p(),
                    holm[i],
                    r.updates(),
                    r.generatedTokens()));
        }
        return new Table(baseline, meanUpdates(base, 2), meanTokens(base, 2), out, missing);
    }

    /** Why a (variant, K) row cannot be made, or null. */
    private static String gap(List<RunData> runs, List<RunData> base, int k) {
        for (RunData r : runs) {
            if (evalAt(r, k).isEmpty()) {
                return r.dir() + " has no evaluation at " + k + " turns (revise eval --checkpoint " + r.dir()
                        + " --turns " + k + ")";
            }
        }
        for (RunData b : base) {
            Optional<RunData.EvalFile> e = evalAt(b, k);
            if (e.isEmpty() || !e.get().json().path("per_problem").isObject()) {
                return "the baseline run " + b.dir() + " has no evaluation at " + k
                        + " turns with per-problem parallel attempts (revise eval --checkpoint " + b.dir()
                        + " --turns " + k + ")";
            }
        }
        return null;
    }

    /** The run's evaluation of its last evaluated checkpoint at K turns, without a probe. */
    static Optional<RunData.EvalFile> evalAt(RunData r, int k) {
        return r.evals().stream()
                .filter(e -> e.turns() == k && e.intervene().equals("own") && e.step() >= 0)
                .filter(e -> e.json().path("per_episode").isObject())
                .reduce((a, b) -> b.step() >= a.step() ? b : a);
    }

    private static Row row(String variant, List<RunData> runs, List<RunData> base, int k, String m, String bm) {
        double[] vs = new double[runs.size()];
        for (int i = 0; i < runs.size(); i++) {
            vs[i] = mean(values(evalAt(runs.get(i), k).orElseThrow(), m));
        }
        double[] bs = new double[base.size()];
        for (int i = 0; i < base.size(); i++) {
            bs[i] = mean(values(evalAt(base.get(i), k).orElseThrow(), bm));
        }
        long units = 0;
        long better = 0;
        long worse = 0;
        for (RunData r : runs) {
            for (RunData b : base) {
                if (r.seed() != b.seed()) {
                    continue;
                }
                Map<String, Double> x = values(evalAt(r, k).orElseThrow(), m);
                Map<String, Double> y = values(evalAt(b, k).orElseThrow(), bm);
                for (Map.Entry<String, Double> e : x.entrySet()) {
                    Double other = y.get(e.getKey());
                    if (other == null) {
                        continue;
                    }
                    units++;
                    better += e.getValue() > other ? 1 : 0;
                    worse += e.getValue() < other ? 1 : 0;
                }
            }
        }
        return new Row(
                variant,
                k,
                m,
                bm,
                VariantStatistics.summary(vs),
                VariantStatistics.summary(bs),
                units,
                better,
                worse,
                units == 0 ? Double.NaN : Proportions.signTest(better, worse),
                Double.NaN,
                meanUpdates(runs, k),
                meanTokens(runs, k));
    }

    /**
     * Per problem, the mean over its episodes of a metric of one evaluation: Acc@tJ (correct at
     * attempt J), m1@tK, p1@tK (any attempt right) from per_episode; mK@t1 and pass@K from
     * per_problem (the K parallel first attempts).
     */
    static Map<String, Double> values(RunData.EvalFile e, String metric) {
        Map<String, double[]> sums = new LinkedHashMap<>();
        if (metric.startsWith("m") && metric.endsWith("@t1") || metric.startsWith("pass@")) {
            JsonNode pp = e.json().get("per_problem");
            JsonNode v = pp.get(metric.startsWith("pass@") ? "pass_at_K_t1" : "mK_at_t1");
            for (int i = 0; i < pp.get("task_ids").size(); i++) {
                add(sums, pp.get("task_ids").get(i).asText(), v.get(i).asDouble());
            }
        } else {
            JsonNode pe = e.json().get("per_episode");
            for (int i = 0; i < pe.get("task_ids").size(); i++) {
                JsonNode c = pe.get("correct").get(i);
                double x =
                        switch (metric.substring(0, 2)) {
                            case "Ac" ->
                                c.get(Integer.parseInt(metric.substring("Acc@t".length())) - 1)
                                        .asDouble();
                            case "m1" -> {
                                JsonNode maj = pe.get("m1_at_tK");
                                if (maj == null) {
                                    throw new IllegalArgumentException(e.name() + "/eval.json: no per_episode"
                                            + " m1_at_tK (written before it existed: re-run revise eval)");
                                }
                                yield maj.get(i).asDouble();
                            }
                            case "p1" -> {
                                double any = 0;
                                for (JsonNode t : c) {
                                    any = Math.max(any, t.asDouble());
                                }
                                yield any;
                            }
                            default -> throw new IllegalStateException(metric);
                        };
                add(sums, pe.get("task_ids").get(i).asText(), x);
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        sums.forEach((id, s) -> out.put(id, s[0] / s[1]));
        return out;
    }

    private static void add(Map<String, double[]> sums, String id, double x) {
        double[] s = sums.computeIfAbsent(id, key -> new double[2]);
        s[0] += x;
        s[1]++;
    }

    private static double mean(Map<String, Double> perProblem) {
        return perProblem.values().stream()
                .mapToDouble(Double::doubleValue)
                .average()
                .orElse(Double.NaN);
    }

    /** Mean over runs of the evaluated checkpoint's step (the updates trained). */
    private static double meanUpdates(List<RunData> runs, int k) {
        return runs.stream()
                .mapToDouble(r -> evalAt(r, k).map(RunData.EvalFile::step).orElse(-1L))
                .average()
                .orElse(Double.NaN);
    }

    /** Mean over runs of the tokens generated in training up to the evaluated checkpoint. */
    private static double meanTokens(List<RunData> runs, int k) {
        return runs.stream()
                .mapToDouble(r -> r.generatedTokens(
                        evalAt(r, k).map(RunData.EvalFile::step).orElse(Long.MAX_VALUE)))
                .average()
                .orElse(Double.NaN);
    }

    /** The table's title line, naming the baseline, its compute and the tests. */
    public static String heading(Table t) {
        return String.format(
                java.util.Locale.ROOT,
                "Compute-matched comparisons against the single-turn baseline %s (%.0f updates, %.3gM training"
                        + " tokens): at K attempts, mean over seeds (95%% t interval); exact sign test over (seed,"
                        + " problem) units, Holm-corrected over the rows",
                t.baseline(),
                t.baselineUpdates(),
                t.baselineTokens() / 1e6);
    }

    /** The table as rows of cells, with its header first. */
    public static List<List<String>> cells(Table t) {
        List<List<String>> out = new ArrayList<>();
        out.add(List.of(
                "variant",
                "K",
                "updates",
                "train tokens",
                "variant",
                "mean (95% CI)",
                "baseline",
                "mean (95% CI)",
                "diff",
                "better / worse (units)",
                "sign p (Holm)"));
        for (Row r : t.rows()) {
            out.add(List.of(
                    r.variant(),
                    Integer.toString(r.k()),
                    String.format(java.util.Locale.ROOT, "%.0f", r.updates()),
                    String.format(java.util.Locale.ROOT, "%.3gM", r.generatedTokens() / 1e6),
                    r.metric(),
                    Html.cell(r.value()),
                    r.baselineMetric(),
                    Html.cell(r.baseline()),
                    String.format(
                            java.util.Locale.ROOT,
                            "%+.3f",
                            r.value().mean() - r.baseline().mean()),
                    r.variantBetter() + " / " + r.baselineBetter() + " (" + r.units() + ")",
                    Html.p(r.p()) + " (" + Html.p(r.pHolm()) + ")"));
        }
        return out;
    }
}
