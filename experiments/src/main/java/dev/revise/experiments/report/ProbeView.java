package dev.revise.experiments.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.revise.rl.metrics.Proportions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The counterfactual probe across checkpoints ({@code revise eval --intervene}): per variant and
 * checkpoint, attempt 2's accuracy with attempt 1 as sampled (own), replaced by a correct
 * solution (gold), by the policy's own right attempt with one step's result changed (corrupt,
 * only the problems whose own attempt 1 was right) or by its attempt at another problem (other).
 *
 * <p>Two differences summarise whether attempt 2 reads attempt 1, each with an exact sign test
 * over (seed, problem) units on the problems both evaluations share: <b>gold - other</b> (a
 * policy whose attempt 2 ignores attempt 1 scores the same under both, whatever attempt 1 says)
 * and <b>own - corrupt</b> on the corrupt probe's problems (a policy that copies attempt 1 loses
 * what the corruption broke; one that checks it repairs it; one that ignores it is unaffected).
 */
public final class ProbeView {
    static final String HEADING = "Counterfactual probe of attempt 1 (revise eval --intervene), per checkpoint:"
            + " attempt 2's accuracy with attempt 1 as sampled (own), a correct solution (gold), the own right"
            + " attempt with one step changed (corrupt) or the attempt at another problem (other)";

    private ProbeView() {}

    /** Attempt 2's accuracy under one mode at one checkpoint, over a variant's seeds. */
    public record Cell(
            String variant,
            long step,
            int turns,
            String mode,
            VariantStatistics.Summary accT2,
            double episodes,
            Double repairLocality) {}

    /** A difference between two modes at one checkpoint, with its paired test. */
    public record Dependence(
            String variant,
            long step,
            String contrast,
            double diff,
            long units,
            long aBetter,
            long bBetter,
            double p) {}

    public record View(List<Cell> cells, List<Dependence> dependence) {
        public boolean isEmpty() {
            return cells.stream().noneMatch(c -> !c.mode().equals("own"));
        }
    }

    public static View of(Map<String, List<RunData>> byVariant) {
        List<Cell> cells = new ArrayList<>();
        List<Dependence> dep = new ArrayList<>();
        for (Map.Entry<String, List<RunData>> v : byVariant.entrySet()) {
            // (step, turns) -> mode -> seed -> the evaluation
            TreeMap<String, Map<String, Map<Long, RunData.EvalFile>>> at = new TreeMap<>();
            TreeSet<String> probed = new TreeSet<>();
            for (RunData r : v.getValue()) {
                for (RunData.EvalFile e : r.evals()) {
                    if (e.turns() < 2 || e.step() < 0) {
                        continue;
                    }
                    String key = String.format(Locale.ROOT, "%012d/%d", e.step(), e.turns());
                    Map<Long, RunData.EvalFile> bySeed = at.computeIfAbsent(key, x -> new LinkedHashMap<>())
                            .computeIfAbsent(e.intervene(), x -> new TreeMap<>());
                    // one checkpoint evaluated for several runs (the base as every seed's step 0) is one
                    // model, not one per seed: counting it per seed would shrink the tests' p-values
                    String checkpoint = e.json().path("checkpoint").asText("");
                    boolean copy = !checkpoint.isEmpty()
                            && bySeed.entrySet().stream()
                                    .anyMatch(s -> s.getKey() != r.seed() && sameCheckpoint(s.getValue(), checkpoint));
                    if (!copy) {
                        bySeed.put(r.seed(), e); // several of one mode: the last by name
                    }
                    if (!e.intervene().equals("own")) {
                        probed.add(key);
                    }
                }
            }
            for (String key : probed) {
                long step = Long.parseLong(key.substring(0, 12));
                int turns = Integer.parseInt(key.substring(13));
                Map<String, Map<Long, RunData.EvalFile>> modes = at.get(key);
                for (String mode : List.of("own", "gold", "corrupt", "other")) {
                    Map<Long, RunData.EvalFile> bySeed = modes.get(mode);
                    if (bySeed == null) {
                        continue;
                    }
                    double[] acc = bySeed.values().stream()
                            .mapToDouble(e -> e.json().get("accuracy").get(1).asDouble())
                            .toArray();
                    double[] loc = bySeed.values().stream()
                            .map(e -> e.json().path("repair_locality"))
                            .filter(JsonNode::isNumber)
                            .mapToDouble(JsonNode::asDouble)
                            .toArray();
                    double n = bySeed.values().stream()
                            .mapToDouble(e -> e.json()
                                    .path("per_episode")
                                    .path("task_ids")
                                    .size())
                            .average()
                            .orElse(0);
                    cells.add(new Cell(
                            v.getKey(),
                            step,
                            turns,
                            mode,
                            VariantStatistics.summary(acc),
                            n,
                            loc.length == 0 ? null : VariantStatistics.mean(loc)));
                }
                contrast(v.getKey(), step, "gold - other", modes.get("gold"), modes.get("other"), dep);
                contrast(v.getKey(), step, "own - corrupt", modes.get("own"), modes.get("corrupt"), dep);
            }
        }
        return new View(cells, dep);
    }

    private static boolean sameCheckpoint(RunData.EvalFile e, String checkpoint) {
        String other = e.json().path("checkpoint").asText("");
        return !other.isEmpty()
                && java.nio.file.Path.of(other)
                        .normalize()
                        .equals(java.nio.file.Path.of(checkpoint).normalize());
    }

    /** a - b in attempt 2's accuracy on the (seed, problem) units both evaluated. */
    private static void contrast(
            String variant,
            long step,
            String name,
            Map<Long, RunData.EvalFile> a,
            Map<Long, RunData.EvalFile> b,
            List<Dependence> out) {
        if (a == null || b == null) {
            return;
        }
        long units = 0;
        long aBetter = 0;
        long bBetter = 0;
        double sum = 0;
        for (Map.Entry<Long, RunData.EvalFile> e : a.entrySet()) {
            RunData.EvalFile other = b.get(e.getKey());
            if (other == null) {
                continue;
            }
            Map<String, Double> x = MatchedComparison.values(e.getValue(), "Acc@t2");
            Map<String, Double> y = MatchedComparison.values(other, "Acc@t2");
            for (Map.Entry<String, Double> u : x.entrySet()) {
                Double w = y.get(u.getKey());
                if (w == null) {
                    continue;
                }
                units++;
                sum += u.getValue() - w;
                aBetter += u.getValue() > w ? 1 : 0;
                bBetter += u.getValue() < w ? 1 : 0;
            }
        }
        if (units > 0) {
            out.add(new Dependence(
                    variant, step, name, sum / units, units, aBetter, bBetter, Proportions.signTest(aBetter, bBetter)));
        }
    }

    public static List<List<String>> cellTable(View v) {
        List<List<String>> out = new ArrayList<>();
        out.add(List.of(
                "variant", "step", "K", "attempt 1", "Acc@t2 (95% CI over seeds)", "episodes", "repair locality"));
        for (Cell c : v.cells()) {
            out.add(List.of(
                    c.variant(),
                    Long.toString(c.step()),
                    Integer.toString(c.turns()),
                    c.mode(),
                    Html.cell(c.accT2()),
                    String.format(Locale.ROOT, "%.0f", c.episodes()),
                    c.repairLocality() == null ? "n/a" : String.format(Locale.ROOT, "%.3f", c.repairLocality())));
        }
        return out;
    }

    public static List<List<String>> dependenceTable(View v) {
        List<List<String>> out = new ArrayList<>();
        out.add(List.of("variant", "step", "contrast", "Acc@t2 difference", "first / second better (units)", "sign p"));
        for (Dependence d : v.dependence()) {
            out.add(List.of(
                    d.variant(),
                    Long.toString(d.step()),
                    d.contrast(),
                    String.format(Locale.ROOT, "%+.3f", d.diff()),
                    d.aBetter() + " / " + d.bBetter() + " (" + d.units() + ")",
                    Html.p(d.p())));
        }
        return out;
    }
}
