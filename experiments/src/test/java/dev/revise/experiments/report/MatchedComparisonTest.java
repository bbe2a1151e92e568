package dev.revise.experiments.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.experiments.cli.CliTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Golden values of the compute-matched table and the probe view over hand-written eval.json files. */
class MatchedComparisonTest {
    @TempDir
    Path dir;

    private static final List<String> IDS = List.of("p0", "p1", "p2", "p3");

    /** A run trained with {@code turns} attempts, 10 updates of 100 generated tokens (step 5 logged twice). */
    private Path run(String name, long seed, int turns) throws Exception {
        Path r = dir.resolve(name + "-" + seed);
        Files.createDirectories(r.resolve("eval"));
        Files.writeString(
                r.resolve("config.resolved.yaml"),
                "run:\n  name: " + name + "\n  seed: " + seed + "\nenv:\n  turns: " + turns + "\n");
        StringBuilder m = new StringBuilder();
        for (int s = 1; s <= 12; s++) {
            m.append("{\"step\": ").append(s).append(", \"batch/generated_tokens\": 100}\n");
            if (s == 5) {
                m.append("{\"step\": 5, \"batch/generated_tokens\": 100}\n"); // a resumed run logs it again
            }
        }
        Files.writeString(r.resolve("metrics.jsonl"), m);
        return r;
    }

    /** eval/NAME/eval.json with per-episode correctness (one episode per problem) and, optionally, the parallel pass. */
    private static void eval(Path run, String name, String mode, int[][] correct, int[] majority, int[][] parallel)
            throws Exception {
        int turns = correct[0].length;
        double[] acc = new double[turns];
        for (int[] c : correct) {
            for (int t = 0; t < turns; t++) {
                acc[t] += c[t] / (double) correct.length;
            }
        }
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("turns", turns);
        e.put("accuracy", acc);
        e.put("delta", acc[turns - 1] - acc[0]);
        e.put("delta_i_to_c", 0.0);
        e.put("delta_c_to_i", 0.0);
        if (turns >= 2) {
            e.put("transitions", List.of(List.of(List.of(1, 0), List.of(0, 1))));
        }
        e.put("intervene", mode);
        List<String> ids = IDS.subList(0, correct.length);
        e.put("per_episode", Map.of("task_ids", ids, "correct", correct, "m1_at_tK", majority));
        if (parallel != null) {
            List<Integer> mk = new ArrayList<>();
            List<Integer> pass = new ArrayList<>();
            for (int[] p : parallel) {
                mk.add(p[0]);
                pass.add(p[1]);
            }
            e.put("per_problem", Map.of("task_ids", ids, "mK_at_t1", mk, "pass_at_K_t1", pass));
        }
        Files.createDirectories(run.resolve("eval").resolve(name));
        new ObjectMapper()
                .writeValue(
                        run.resolve("eval").resolve(name).resolve("eval.json").toFile(), e);
    }

    private List<RunData> fixture() throws Exception {
        List<RunData> runs = new ArrayList<>();
        for (long seed = 0; seed < 2; seed++) {
            Path base = run("grpo", seed, 1);
            eval(base, "step-000010", "own", new int[][] {{0}, {1}, {0}, {0}}, new int[] {0, 1, 0, 0}, null);
            eval(
                    base,
                    "step-000010-start_search-t2",
                    "own",
                    new int[][] {{0, 0}, {1, 1}, {0, 0}, {0, 1}},
                    new int[] {0, 1, 0, 0},
                    new int[][] {{0, 1}, {1, 1}, {0, 0}, {0, 0}});
            runs.add(RunData.read(base, "grpo", seed));
            Path score = run("score", seed, 2);
            eval(score, "step-000005", "own", new int[][] {{0, 0}, {0, 0}, {0, 0}, {0, 0}}, new int[4], null);
            eval(
                    score,
                    "step-000010",
                    "own",
                    new int[][] {{0, 1}, {1, 1}, {0, 0}, {1, 0}},
                    new int[] {0, 1, 0, 1},
                    null);
            eval(
                    score,
                    "step-000010-start_search-t4",
                    "own",
                    new int[][] {{0, 1, 1, 1}, {1, 1, 1, 1}, {0, 0, 0, 0}, {1, 0, 0, 0}},
                    new int[] {1, 1, 0, 0},
                    new int[][] {{0, 1}, {1, 1}, {0, 0}, {1, 1}});
            // the probe: attempt 2 follows attempt 1 (gold: right, other: as wrong as the other problem's)
            eval(
                    score,
                    "step-000010-start_search-gold",
                    "gold",
                    new int[][] {{1, 1}, {1, 1}, {1, 1}, {1, 1}},
                    new int[4],
                    null);
            eval(
                    score,
                    "step-000010-start_search-other",
                    "other",
                    new int[][] {{0, 0}, {1, 0}, {0, 0}, {1, 1}},
                    new int[4],
                    null);
            runs.add(RunData.read(score, "score", seed));
        }
        return runs;
    }

    @Test
    void theMatchedTableHasGoldenValuesAndNamesWhatIsMissing() throws Exception {
        Map<String, List<RunData>> byVariant = RunData.byVariant(fixture());
        assertEquals("grpo", MatchedComparison.baseline(byVariant, null).orElseThrow(), "the one env.turns 1 variant");
        MatchedComparison.Table t = MatchedComparison.of(byVariant, "grpo");
        assertEquals(3, t.rows().size(), "K=2 only: the baseline has no K=4 evaluation");
        assertThat(t.missing()).singleElement().asString().contains("score at K=4", "grpo-0", "--turns 4");
        MatchedComparison.Row acc = t.rows().get(0);
        assertEquals("Acc@t2", acc.metric());
        assertEquals("Acc@t1", acc.baselineMetric());
        assertEquals(0.5, acc.value().mean(), 1e-12); // score's attempt 2: p0, p1 right
        assertEquals(0.25, acc.baseline().mean(), 1e-12); // grpo's attempt 1 of its K=2 evaluation: p1
        // paired over 2 seeds x 4 problems: score better on p0 in each seed, never worse
        assertEquals(8, acc.units());
        assertEquals(2, acc.variantBetter());
        assertEquals(0, acc.baselineBetter());
        assertEquals(0.5, acc.p(), 1e-12); // exact two-sided sign test, 2 vs 0
        MatchedComparison.Row maj = t.rows().get(1);
        assertEquals("m1@t2", maj.metric());
        assertEquals("m2@t1", maj.baselineMetric());
        assertEquals(0.5, maj.value().mean(), 1e-12);
        assertEquals(0.25, maj.baseline().mean(), 1e-12);
        MatchedComparison.Row pass = t.rows().get(2);
        assertEquals("p1@t2", pass.metric());
        assertEquals("pass@2", pass.baselineMetric());
        assertEquals(0.75, pass.value().mean(), 1e-12); // p0, p1, p3 right at some attempt
        assertEquals(0.5, pass.baseline().mean(), 1e-12);
        assertEquals(1.0, pass.pHolm(), 1e-12, "Holm over 3 rows of p 0.5");
        // compute: the evaluated checkpoint's updates and the tokens up to it, step 5 counted once
        assertEquals(10, acc.updates(), 1e-12);
        assertEquals(1000, acc.generatedTokens(), 1e-12);
        assertEquals(1000, t.baselineTokens(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> MatchedComparison.baseline(byVariant, "nope"));
    }

    @Test
    void theProbeViewContrastsGoldWithOther() throws Exception {
        ProbeView.View v = ProbeView.of(RunData.byVariant(fixture()));
        assertThat(v.cells()).extracting(ProbeView.Cell::mode).containsExactly("own", "gold", "other");
        ProbeView.Dependence d = v.dependence().get(0);
        assertEquals("gold - other", d.contrast());
        assertEquals(10, d.step());
        assertEquals(0.75, d.diff(), 1e-12); // attempt 2 right on 4 of 4 under gold, 1 of 4 under other
        assertEquals(8, d.units());
        assertEquals(6, d.aBetter());
        assertEquals(0, d.bBetter());
        assertEquals(2 * Math.pow(0.5, 6), d.p(), 1e-12);
    }

    @Test
    void oneCheckpointEvaluatedForEverySeedCountsOnce() throws Exception {
        List<RunData> runs = new ArrayList<>();
        for (long seed = 0; seed < 3; seed++) {
            Path score = run("score", seed, 2);
            eval(score, "step-000010", "own", new int[][] {{0, 1}, {1, 1}, {0, 0}, {1, 0}}, new int[4], null);
            // the base's probe, evaluated once and copied into every run as its step 0
            for (String mode : List.of("gold", "other")) {
                int[][] correct = mode.equals("gold")
                        ? new int[][] {{1, 1}, {1, 1}, {1, 1}, {1, 0}}
                        : new int[][] {{0, 0}, {1, 0}, {0, 0}, {1, 0}};
                eval(score, "step-000000-start_search-t2-" + mode, mode, correct, new int[4], null);
                Path f = score.resolve("eval/step-000000-start_search-t2-" + mode + "/eval.json");
                Files.writeString(
                        f,
                        Files.readString(f)
                                .replaceFirst(
                                        "\\{",
                                        "{\"checkpoint\":\""
                                                + List.of("base/sft", "base/./sft", "base/sft/")
                                                        .get((int) seed) + "\","));
            }
            runs.add(RunData.read(score, "score", seed));
        }
        ProbeView.Dependence d =
                ProbeView.of(RunData.byVariant(runs)).dependence().get(0);
        assertEquals(0, d.step());
        assertEquals(4, d.units(), "the 4 problems of one evaluation, not 3 seeds x 4 (12 before)");
        assertEquals(3, d.aBetter());
        assertEquals(0.25, d.p(), 1e-12);
        ProbeView.Cell gold = ProbeView.of(RunData.byVariant(runs)).cells().get(0);
        assertEquals(1, gold.accT2().n(), "one sample of the base, not three");
    }

    @Test
    void comparePrintsTheTablesAndThePathLast() throws Exception {
        fixture();
        List<String> args = new ArrayList<>(List.of("compare"));
        for (String n : List.of("grpo-0", "grpo-1", "score-0", "score-1")) {
            args.add(dir.resolve(n).toString());
        }
        args.addAll(List.of("--out", dir.resolve("report").toString()));
        CliTest.Result r = CliTest.run(args.toArray(String[]::new));
        assertEquals(0, r.status(), r.err());
        List<String> lines = r.out().strip().lines().toList();
        assertEquals(dir.resolve("report/report.html").toString(), lines.get(lines.size() - 1));
        assertThat(r.out())
                .contains("Compute-matched comparisons against the single-turn baseline grpo")
                .contains("| score | 2 | 10 | 0.00100M | Acc@t2 | 0.500 (0.500..0.500) | Acc@t1 |")
                .contains("not compared: score at K=4")
                .contains("| score | 10 | gold - other | +0.750 | 6 / 0 (8) | 0.0313 |");
        // before: the transitions plot read grpo's single-turn final evaluation and threw
        assertThat(dir.resolve("report/transitions.png")).exists();
        String html = Files.readString(dir.resolve("report/report.html"));
        assertThat(html).contains("<h2>Compute-matched comparisons</h2>", "<h2>Counterfactual probe</h2>");
        assertThat(dir.resolve("report/probe.png")).exists();
        // before: summary.md took its columns from the first variant (grpo: Acc@t1 only; the other order threw)
        assertThat(Files.readString(dir.resolve("report/summary.md")))
                .contains("| m1@t2 |")
                .contains("| variant | seeds | Acc@t1 | Acc@t2 | Delta |");
        r = CliTest.run("compare", dir.resolve("score-0").toString(), "--baseline", "grpo");
        assertEquals(2, r.status(), r.out());
        assertThat(r.err()).contains("--baseline grpo", "no such variant");
    }
}
