package dev.revise.rl.metrics;

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
}
