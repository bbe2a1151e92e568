package dev.revise.rl.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.revise.rl.Completion;
import dev.revise.rl.Feedback;
import dev.revise.rl.FinishReason;
import dev.revise.rl.Message;
import dev.revise.rl.Trajectory;
import dev.revise.rl.Turn;
import dev.revise.rl.Verdict;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SelfCorrectionMetricsTest {
    /** A trajectory whose attempts answer {@code answers}; correct iff the answer is "ok". */
    static Trajectory traj(String id, String... answers) {
        List<Turn> turns = new ArrayList<>();
        for (int k = 0; k < answers.length; k++) {
            String a = answers[k];
            Verdict v = a == null
                    ? Verdict.unparseable("none")
                    : a.equals("ok") ? Verdict.correct(a, "ok") : Verdict.incorrect(a, 0, "no");
            turns.add(new Turn(
                    k,
                    List.of(Message.user("q")),
                    new Completion("answer " + a, new int[0], new float[0], FinishReason.STOP_TOKEN),
                    v,
                    k + 1 == answers.length ? Feedback.end() : Feedback.retry("again")));
        }
        return new Trajectory(id, id, turns, 0, 0);
    }

    @Test
    void goldenTwoTurnMetrics() {
        // 10 problems: 4 c->c, 1 c->i, 3 i->c, 2 i->i
        List<Trajectory> ts = new ArrayList<>();
        for (int i = 0; i < 4; i++) ts.add(traj("cc" + i, "ok", "ok"));
        ts.add(traj("ci", "ok", "x"));
        for (int i = 0; i < 3; i++) ts.add(traj("ic" + i, "x", "ok"));
        ts.add(traj("ii0", "x", "x"));
        ts.add(traj("ii1", "x", "y"));
        SelfCorrectionMetrics.Report r = SelfCorrectionMetrics.of(ts, 2);
        assertArrayEquals(new double[] {0.5, 0.7}, r.accuracy(), 1e-12);
        assertEquals(0.2, r.delta(), 1e-12);
        assertEquals(0.3, r.incorrectToCorrect(), 1e-12);
        assertEquals(0.1, r.correctToIncorrect(), 1e-12);
        assertEquals(r.incorrectToCorrect() - r.correctToIncorrect(), r.delta(), 1e-12);
        assertArrayEquals(new long[] {4, 1}, r.transitions()[0][0]);
        assertArrayEquals(new long[] {3, 2}, r.transitions()[0][1]);
        assertEquals(0.8, r.confidence(), 1e-12);
        assertEquals(0.6, r.critique(), 1e-12);
        // McNemar exact: b = 3, c = 1: 2 * P(X <= 1), X ~ Bin(4, .5) = 2 * 5/16
        assertEquals(0.625, r.mcnemarP(), 1e-12);
        // answers changed in: ci, 3x ic, ii1 = 5 of 10 pairs
        assertEquals(0.5, r.changedAnswer(), 1e-12);
        assertEquals(10, r.problems());
        assertEquals(0.8, r.anyCorrect(), 1e-12);
    }

    @Test
    void oracleStopCarriesTheCorrectAnswerForward() {
        List<Trajectory> ts = List.of(traj("a", "ok"), traj("b", "x", "ok"), traj("c", "x", "x", "x"));
        SelfCorrectionMetrics.Report r = SelfCorrectionMetrics.of(ts, 3);
        assertArrayEquals(new double[] {1.0 / 3, 2.0 / 3, 2.0 / 3}, r.accuracy(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> SelfCorrectionMetrics.of(List.of(traj("d", "x")), 2));
    }

    @Test
    void majorityOverTurns() {
        assertEquals(
                1.0,
                SelfCorrectionMetrics.of(List.of(traj("a", "x", "ok", "ok")), 3).majorityOverTurns());
        assertEquals(
                0.0,
                SelfCorrectionMetrics.of(List.of(traj("a", "x", "ok", "x")), 3).majorityOverTurns());
        assertEquals(
                0.0,
                SelfCorrectionMetrics.of(List.of(traj("a", null, null, null)), 3)
                        .majorityOverTurns());
    }

    @Test
    void proportionsGoldenValues() {
        // Wilson 95% of 5/10: 0.2366, 0.7634
        double[] w = Proportions.wilson(5, 10);
        assertEquals(0.2366, w[0], 1e-4);
        assertEquals(0.7634, w[1], 1e-4);
        // pass@k: n = 5, c = 2, k = 2: 1 - C(3,2)/C(5,2) = 1 - 3/10
        assertEquals(0.7, Proportions.passAtK(5, 2, 2), 1e-12);
        assertEquals(1.0, Proportions.passAtK(5, 4, 2), 1e-12);
        assertEquals(0.0, Proportions.passAtK(5, 0, 3), 1e-12);
        for (int n = 1; n <= 12; n++) {
            for (int c = 0; c <= n; c++) {
                for (int k = 1; k <= n; k++) {
                    double exact = 1 - (n - c >= k ? Proportions.binomial(n - c, k) / Proportions.binomial(n, k) : 0);
                    assertEquals(exact, Proportions.passAtK(n, c, k), 1e-12, "n=" + n + " c=" + c + " k=" + k);
                }
            }
        }
        assertEquals(1.0, Proportions.mcnemarExact(0, 0));
        // deep tails must not underflow to 0: 2 * sum_{k<=76} C(519, k) / 2^519 = 5.19e-64 (exact)
        double deep = Proportions.mcnemarExact(443, 76);
        assertEquals(5.1914300837792915e-64, deep, 1e-70);
        assertEquals(2 * (1 + 10 + 45) / 1024.0, Proportions.mcnemarExact(2, 8), 1e-15);
        assertEquals(SelfCorrectionMetrics.editRatio("kitten", "sitting"), 3.0 / 7, 1e-12);
        assertEquals(0.0, SelfCorrectionMetrics.editRatio("", ""));
    }

    /** The ten problems of {@link #goldenTwoTurnMetrics}, each {@code samples} times (identical samples). */
    static List<Trajectory> goldenSet(int samples) {
        List<Trajectory> ts = new ArrayList<>();
        for (int s = 0; s < samples; s++) {
            for (int i = 0; i < 4; i++) ts.add(traj("cc" + i, "ok", "ok"));
            ts.add(traj("ci", "ok", "x"));
            for (int i = 0; i < 3; i++) ts.add(traj("ic" + i, "x", "ok"));
            ts.add(traj("ii0", "x", "x"));
            ts.add(traj("ii1", "x", "y"));
        }
        return ts;
    }

    static double width(double[] ci) {
        return ci[1] - ci[0];
    }

    @Test
    void oneSamplePerProblemKeepsTheExactEpisodeMethods() {
        SelfCorrectionMetrics.Report r = SelfCorrectionMetrics.of(goldenSet(1), 2);
        SelfCorrectionMetrics.Inference inf = r.inference();
        assertEquals(false, inf.clustered());
        assertEquals("episode", inf.unit());
        assertEquals("wilson", inf.intervalMethod());
        assertEquals("paired_normal", inf.deltaIntervalMethod());
        assertEquals("mcnemar_exact", inf.pairedTest());
        assertEquals(10, inf.clusters());
        assertArrayEquals(Proportions.wilson(5, 10), r.accuracyCi()[0], 0);
        assertArrayEquals(Proportions.wilson(7, 10), r.accuracyCi()[1], 0);
        // (b - c) / n +- z sqrt(b + c - (b - c)^2 / n) / n, b = 3, c = 1, n = 10: 0.2 +- 1.96 sqrt(3.6) / 10
        assertArrayEquals(
                new double[] {0.2 - Proportions.Z95 * Math.sqrt(3.6) / 10, 0.2 + Proportions.Z95 * Math.sqrt(3.6) / 10},
                r.deltaCi(),
                1e-12);
        assertArrayEquals(Proportions.wilson(3, 10), r.incorrectToCorrectCi(), 0);
        assertArrayEquals(Proportions.wilson(1, 10), r.correctToIncorrectCi(), 0);
        assertArrayEquals(Proportions.wilson(8, 10), r.anyCorrectCi(), 0);
        assertEquals(0.625, r.mcnemarP(), 1e-12);
    }

    @Test
    void identicalSamplesOfAProblemDoNotNarrowTheIntervals() {
        // S identical samples carry the information of one: counting the 40 episodes of 10 problems
        // as independent would shrink every interval by about sqrt(4)
        SelfCorrectionMetrics.Report one = SelfCorrectionMetrics.of(goldenSet(1), 2);
        SelfCorrectionMetrics.Report four = SelfCorrectionMetrics.of(goldenSet(4), 2);
        SelfCorrectionMetrics.Inference inf = four.inference();
        assertEquals(true, inf.clustered());
        assertEquals("problem", inf.unit());
        assertEquals("problem_cluster_wilson", inf.intervalMethod());
        assertEquals("problem_means_t", inf.deltaIntervalMethod());
        assertEquals("sign_test_problems", inf.pairedTest());
        assertEquals(10, inf.clusters());
        assertEquals(4, inf.minSamples());
        assertEquals(4, inf.maxSamples());
        assertEquals(40, four.trajectories());
        assertArrayEquals(one.accuracy(), four.accuracy(), 1e-12);
        assertEquals(one.delta(), four.delta(), 1e-12);
        for (int t = 0; t < 2; t++) {
            assertThat(width(four.accuracyCi()[t])).isGreaterThanOrEqualTo(width(one.accuracyCi()[t]));
        }
        assertThat(width(four.deltaCi())).isGreaterThanOrEqualTo(width(one.deltaCi()));
        assertThat(width(four.incorrectToCorrectCi())).isGreaterThanOrEqualTo(width(one.incorrectToCorrectCi()));
        assertThat(width(four.anyCorrectCi())).isGreaterThanOrEqualTo(width(one.anyCorrectCi()));
        // the problem-level intervals do not depend on S: the same as the problem-level method on one sample each
        long[] ones = new long[10];
        java.util.Arrays.fill(ones, 1);
        long[] acc1 = {1, 1, 1, 1, 1, 0, 0, 0, 0, 0};
        long[] fours = new long[10];
        java.util.Arrays.fill(fours, 4);
        long[] acc1x4 = java.util.Arrays.stream(acc1).map(v -> 4 * v).toArray();
        assertArrayEquals(Proportions.clusteredWilson(acc1, ones), four.accuracyCi()[0], 1e-12);
        assertArrayEquals(Proportions.clusteredWilson(acc1x4, fours), four.accuracyCi()[0], 1e-12);
        // p = 0.5 over J = 10 problems: n* = J - 1 = 9, Wilson at 9 with t(9) = 2.262157: 0.198966..0.801034
        assertEquals(0.19896561128149587, four.accuracyCi()[0][0], 1e-9);
        assertEquals(0.8010343887185041, four.accuracyCi()[0][1], 1e-9);
        // the sign test on the 10 problems: 3 fixed, 1 broken, as McNemar on one sample each
        assertEquals(one.mcnemarP(), four.mcnemarP(), 1e-12);
        assertEquals(0.625, four.mcnemarP(), 1e-12);
    }

    @Test
    void goldenProblemLevelIntervals() {
        // 5 problems x 2 samples, (c_t1, c_t2) per sample:
        // p0 (0,1) (1,1); p1 (0,1) (0,0); p2 (1,1) (1,1); p3 (1,0) (0,0); p4 (0,0) (0,1)
        String[][][] samples = {
            {{"x", "ok"}, {"ok", "ok"}},
            {{"x", "ok"}, {"x", "x"}},
            {{"ok", "ok"}, {"ok", "ok"}},
            {{"ok", "x"}, {"x", "x"}},
            {{"x", "x"}, {"x", "ok"}}
        };
        List<Trajectory> ts = new ArrayList<>();
        for (int j = 0; j < samples.length; j++) {
            for (String[] s : samples[j]) {
                ts.add(traj("p" + j, s));
            }
        }
        SelfCorrectionMetrics.Report r = SelfCorrectionMetrics.of(ts, 2);
        assertEquals(5, r.inference().clusters());
        assertArrayEquals(new double[] {0.4, 0.6}, r.accuracy(), 1e-12);
        // Acc@t1: y = (1, 0, 2, 1, 0) of m = 2, p = 0.4, v = J/(J-1) sum (y_j - p m_j)^2 / n^2
        // = 5/4 * 2.8 / 100 = 0.035, n* = p(1-p)/v = 6.857143, Wilson at n* with t(4, .975) = 2.776445
        assertEquals(0.09262316202905213, r.accuracyCi()[0][0], 1e-9);
        assertEquals(0.8132227587806335, r.accuracyCi()[0][1], 1e-9);
        assertEquals(0.1867772412193664, r.accuracyCi()[1][0], 1e-9);
        assertEquals(0.9073768379709477, r.accuracyCi()[1][1], 1e-9);
        // i->c: (1, 1, 0, 0, 1): p(1-p)/v = 14 > n: capped at n* = 10
        assertEquals(0.07242857217929832, r.incorrectToCorrectCi()[0], 1e-9);
        assertEquals(0.7016930812344602, r.incorrectToCorrectCi()[1], 1e-9);
        assertEquals(0.00962795724721266, r.correctToIncorrectCi()[0], 1e-9);
        assertEquals(0.5594574499627271, r.correctToIncorrectCi()[1], 1e-9);
        // Delta: per-problem mean differences d = (.5, .5, 0, -.5, .5), mean 0.2, sem 0.2;
        // scipy stats.t.interval(0.95, 4, loc=0.2, scale=0.2) = (-0.355289, 0.755289)
        assertEquals(0.2, r.delta(), 1e-12);
        assertEquals(-0.3552890210395587, r.deltaCi()[0], 1e-9);
        assertEquals(0.7552890210395586, r.deltaCi()[1], 1e-9);
        // sign test over problems: 3 with d > 0, 1 with d < 0: 2 * P(X <= 1), X ~ Bin(4, .5) = 0.625
        assertEquals(0.625, r.mcnemarP(), 1e-12);
    }

    @Test
    void clusteredEdgeCases() {
        // one problem: no between-problem variation to estimate
        assertArrayEquals(new double[] {0, 1}, Proportions.clusteredWilson(new long[] {3}, new long[] {4}), 0);
        assertArrayEquals(
                new double[] {-1, 1}, Proportions.clusteredPairedDifference(new long[] {3}, new long[] {4}), 0);
        // all wrong: n* = J - 1, the limit of identical samples; Wilson at p = 0: [0, t^2 / (n* + t^2)]
        double t = Proportions.t95(4);
        double[] none = Proportions.clusteredWilson(new long[5], new long[] {3, 3, 3, 3, 3});
        assertEquals(0, none[0], 1e-15);
        assertEquals(t * t / (4 + t * t), none[1], 1e-12);
        // every problem half right: no between-problem variance, n* = n
        double[] half = Proportions.clusteredWilson(new long[] {1, 1, 1}, new long[] {2, 2, 2});
        assertArrayEquals(Proportions.wilson(0.5, 6, Proportions.t95(2)), half, 1e-12);
        assertThrows(
                IllegalArgumentException.class, () -> Proportions.clusteredWilson(new long[] {1}, new long[] {1, 2}));
        assertEquals(0.125, Proportions.signTest(0, 4), 1e-12);
    }
}
