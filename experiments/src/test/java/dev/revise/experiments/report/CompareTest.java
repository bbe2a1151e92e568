package dev.revise.experiments.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.experiments.cli.CliTest;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompareTest {
    @TempDir
    Path dir;

    @Test
    void holmAdjustsInStepDownOrder() {
        // p sorted 0.01, 0.02, 0.04 -> 0.03, 0.04, 0.04 (monotone); NaN stays out
        assertArrayEquals(
                new double[] {0.04, 0.03, Double.NaN, 0.04},
                VariantStatistics.holm(new double[] {0.02, 0.01, Double.NaN, 0.04}),
                1e-12);
    }

    @Test
    void summaryUsesTheTDistributionAcrossSeeds() {
        VariantStatistics.Summary s = VariantStatistics.summary(new double[] {0.1, 0.2, 0.3});
        assertEquals(0.2, s.mean(), 1e-12);
        // sd 0.1, t(2, 0.975) = 4.302653
        assertEquals(0.2 - 4.302653 * 0.1 / Math.sqrt(3), s.lo(), 1e-6);
        assertEquals(0.5, VariantStatistics.cohenD(new double[] {1, 2, 3}, new double[] {0.5, 1.5, 2.5}), 1e-12);
    }

    /** A run whose eval.json says which of 10 problems were right at turns 1 and 2. */
    private Path run(String name, long seed, int[][] correct) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < correct.length; i++) {
            ids.add("p" + i);
        }
        return run(name, seed, correct, ids);
    }

    /** A run whose eval.json says which episodes (of the problems {@code ids}) were right at turns 1 and 2. */
    private Path run(String name, long seed, int[][] correct, List<String> ids) throws Exception {
        Path r = dir.resolve(name + "-" + seed);
        Files.createDirectories(r.resolve("eval/step-000010"));
        Files.writeString(r.resolve("config.resolved.yaml"), "run:\n  name: " + name + "\n  seed: " + seed + "\n");
        StringBuilder metrics = new StringBuilder();
        for (int s = 1; s <= 10; s++) {
            metrics.append("{\"step\": ")
                    .append(s)
                    .append(", \"batch/acc_t2\": ")
                    .append(0.05 * s);
            if (s % 5 == 0) {
                metrics.append(", \"eval/acc_t2\": ").append(0.1 * s / 2);
            }
            metrics.append("}\n");
        }
        Files.writeString(r.resolve("metrics.jsonl"), metrics);
        long[][] t = new long[2][2];
        double a1 = 0;
        double a2 = 0;
        for (int i = 0; i < correct.length; i++) {
            t[correct[i][0] == 1 ? 0 : 1][correct[i][1] == 1 ? 0 : 1]++;
            a1 += correct[i][0];
            a2 += correct[i][1];
        }
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("turns", 2);
        e.put("accuracy", new double[] {a1 / correct.length, a2 / correct.length});
        e.put("delta", (a2 - a1) / correct.length);
        e.put("delta_i_to_c", (double) t[1][0] / correct.length);
        e.put("delta_c_to_i", (double) t[0][1] / correct.length);
        e.put("transitions", new long[][][] {t});
        e.put("per_episode", Map.of("task_ids", ids, "correct", correct));
        new ObjectMapper().writeValue(r.resolve("eval/step-000010/eval.json").toFile(), e);
        return r;
    }

    @Test
    void compareWritesTablesTestsAndReadablePlots() throws Exception {
        int[][] flat = new int[10][];
        int[][] fixes = new int[10][];
        for (int i = 0; i < 10; i++) {
            flat[i] = new int[] {i < 5 ? 1 : 0, i < 5 ? 1 : 0};
            fixes[i] = new int[] {i < 5 ? 1 : 0, i < 9 ? 1 : 0};
        }
        List<String> args = new ArrayList<>(List.of("compare"));
        for (long seed = 0; seed < 2; seed++) {
            args.add(run("base", seed, flat).toString());
            args.add(run("score", seed, fixes).toString());
        }
        args.add("--out");
        args.add(dir.resolve("report").toString());
        CliTest.Result r = CliTest.run(args.toArray(new String[0]));
        assertEquals(0, r.status(), r.err());
        assertThat(r.out().strip()).endsWith("report.html");
        String html = Files.readString(dir.resolve("report/report.html"));
        assertThat(html).contains("base", "score", "Welch", "McNemar");
        String md = Files.readString(dir.resolve("report/summary.md"));
        // paired: 2 seeds x 4 problems where score fixed attempt 1 and base did not
        assertThat(md).contains("| base vs score |").contains("0 / 8");
        for (String img : List.of("curve-eval-acc_t2", "curve-batch-acc_t2", "final", "transitions")) {
            BufferedImage png =
                    ImageIO.read(dir.resolve("report").resolve(img + ".png").toFile());
            assertThat(png.getWidth()).as(img).isGreaterThan(500);
            assertThat(dir.resolve("report").resolve(img + ".svg")).exists();
        }
        assertEquals(
                2, CliTest.run("compare", dir.resolve("missing").toString()).status());
    }

    @Test
    void severalSamplesPerProblemArePairedByProblem() throws Exception {
        // 5 problems x 2 samples. base never changes its answer; score, per problem:
        // p0 fixes both samples, p1 fixes one, p2 fixes one and breaks the other (mean 0: a tie),
        // p3 and p4 unchanged. Per episode score did better 4 times and worse once; per problem
        // it did better on 2 problems and worse on none
        int[][] flat = new int[10][];
        int[][] score = {{0, 1}, {0, 1}, {0, 1}, {0, 0}, {0, 1}, {1, 0}, {1, 1}, {0, 0}, {1, 1}, {0, 0}};
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            flat[i] = new int[] {i % 3 == 0 ? 1 : 0, i % 3 == 0 ? 1 : 0};
            ids.add("p" + i / 2);
        }
        List<RunData> runs = new ArrayList<>();
        for (long seed = 0; seed < 2; seed++) {
            runs.add(RunData.read(run("base", seed, flat, ids), "base", seed));
            runs.add(RunData.read(run("score", seed, score, ids), "score", seed));
        }
        Map<String, List<RunData>> byVariant = RunData.byVariant(runs);
        assertThat(VariantStatistics.pairsProblems(byVariant)).isTrue();
        VariantStatistics.Pair delta =
                VariantStatistics.pairwise(byVariant, "delta").get(0);
        assertEquals("problems", delta.pairedUnit());
        assertEquals("sign_test_problems", delta.pairedTest());
        assertEquals(10, delta.pairedUnits(), "5 problems x 2 seeds");
        assertEquals(0, delta.aBetter());
        assertEquals(4, delta.bBetter());
        // exact sign test: 2 * P(X <= 0), X ~ Bin(4, 1/2) = 0.125 (per episode, 2 vs 8 would give 0.109)
        assertEquals(0.125, delta.pairedP(), 1e-12);
        // per episode the same runs count 2 / 8
        assertArrayEquals(
                new long[] {20, 2, 8},
                VariantStatistics.paired(byVariant.get("base"), byVariant.get("score"), "delta", false));
        Path out = dir.resolve("report-samples");
        ComparisonReport.write(runs, out);
        String md = Files.readString(out.resolve("summary.md"));
        assertThat(md)
                .contains("A better / B better (problems)")
                .contains("| 0 / 4 |")
                .contains("sign_test_problems");
        String html = Files.readString(out.resolve("report.html"));
        assertThat(html)
                .contains("paired problems")
                .contains("sign_test_problems")
                .doesNotContain("mcnemar_exact");

        // one sample per problem: episodes, exact McNemar, as before
        Map<String, List<RunData>> single = RunData.byVariant(List.of(
                RunData.read(run("base1", 0, flat), "base", 0), RunData.read(run("score1", 0, score), "score", 0)));
        VariantStatistics.Pair p = VariantStatistics.pairwise(single, "delta").get(0);
        assertEquals("episodes", p.pairedUnit());
        assertEquals("mcnemar_exact", p.pairedTest());
        assertEquals(10, p.pairedUnits());
    }
}
