package dev.revise.rl.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.revise.rl.math.PolicyLosses.Aggregation;
import dev.revise.rl.train.TensorConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Golden values for the policy losses and KL estimators, and vectorised == per-element loop. */
class LossesTest {
    NDManager m;
    TensorConstants c;

    @BeforeEach
    void open() {
        m = NDManager.newBaseManager();
        c = new TensorConstants(m);
    }

    @AfterEach
    void close() {
        c.close();
        m.close();
    }

    NDArray a(float[] v, long... shape) {
        return m.create(v, new Shape(shape));
    }

    @Test
    void clippedSurrogateMatchesTheScalarFormulaEverywhere() {
        float[] logp = {0.0f, -0.5f, 0.3f, -2.0f, 0.1f, -0.1f};
        float[] old = {-0.2f, -0.1f, 0.0f, -0.5f, 0.1f, 0.4f};
        float[] adv = {1.0f, 1.0f, -1.0f, -2.0f, 0.5f, -0.5f};
        float el = 0.2f;
        float eh = 0.28f;
        PolicyLosses.Surrogate s =
                PolicyLosses.clipped(a(logp, 2, 3), a(old, 2, 3), a(adv, 2, 3), new Clip(el, eh, 0), c);
        float[] got = s.loss().toFloatArray();
        float[] clippedMask = s.clipped().toFloatArray();
        for (int i = 0; i < logp.length; i++) {
            double rho = Math.exp(logp[i] - old[i]);
            double clip = Math.min(Math.max(rho, 1 - el), 1 + eh);
            double want = -Math.min(rho * adv[i], clip * adv[i]);
            assertEquals(want, got[i], 1e-6, "token " + i);
            assertEquals(clip * adv[i] < rho * adv[i] ? 1f : 0f, clippedMask[i], "clip flag of token " + i);
        }
        // token 0: rho = e^0.2 = 1.2214 > 1.28? no -> unclipped; token 4: rho 1 -> unclipped
        assertEquals(-Math.exp(0.2), got[0], 1e-6);
    }

    @Test
    void dualClipBoundsNegativeAdvantagesOnly() {
        // rho = e^3 = 20.1, A = -1: clipped surrogate loss = 20.1, dual clip c = 3 bounds it to 3
        NDArray logp = a(new float[] {0f, 0f}, 1, 2);
        NDArray old = a(new float[] {-3f, -3f}, 1, 2);
        NDArray adv = a(new float[] {-1f, 1f}, 1, 2);
        float[] got = PolicyLosses.clipped(logp, old, adv, new Clip(0.2f, 0.2f, 3f), c)
                .loss()
                .toFloatArray();
        assertEquals(3.0, got[0], 1e-5);
        assertEquals(-1.2, got[1], 1e-5); // positive advantage: clipped at 1 + eps
    }

    @Test
    void aggregationModes() {
        NDArray loss = a(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        NDArray mask = a(new float[] {1, 1, 0, 1, 1, 1}, 2, 3);
        // token mean: (1 + 2 + 4 + 5 + 6) / 5 = 3.6
        assertEquals(
                3.6f,
                PolicyLosses.aggregate(loss, mask, Aggregation.TOKEN_MEAN, 0, c).getFloat(),
                1e-6);
        // sequence mean of token means: (1.5 + 5) / 2 = 3.25
        assertEquals(
                3.25f,
                PolicyLosses.aggregate(loss, mask, Aggregation.SEQUENCE_MEAN_TOKEN_MEAN, 0, c)
                        .getFloat(),
                1e-6);
        // token sums / 4, then mean: (3/4 + 15/4) / 2 = 2.25
        assertEquals(
                2.25f,
                PolicyLosses.aggregate(loss, mask, Aggregation.SEQUENCE_MEAN_TOKEN_SUM_NORM, 4, c)
                        .getFloat(),
                1e-6);
    }

    /** Prompt and feedback tokens (mask 0) get exactly zero gradient, whatever their values. */
    @Test
    void maskedTokensGetExactlyZeroGradient() {
        NDArray logp = a(new float[] {-1f, -2f, -0.5f, -3f, -0.1f, -4f}, 2, 3);
        logp.setRequiresGradient(true);
        NDArray old = a(new float[] {-1.2f, -1f, -0.5f, -2f, -0.3f, -1f}, 2, 3);
        NDArray ref = a(new float[] {-0.9f, -2.5f, -1f, -1f, -0.2f, -2f}, 2, 3);
        NDArray adv = a(new float[] {1f, -1f, 2f, -2f, 0.5f, 3f}, 2, 3);
        NDArray mask = a(new float[] {0, 1, 1, 1, 0, 1}, 2, 3);
        for (Aggregation mode : Aggregation.values()) {
            try (ai.djl.training.GradientCollector gc =
                    ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                NDArray perToken = PolicyLosses.clipped(logp, old, adv, new Clip(0.2f, 0.28f, 3f), c)
                        .loss()
                        .add(KlEstimators.perToken(logp, ref, KlEstimators.Estimator.K3, c)
                                .mul(c.of(0.1f)));
                gc.backward(PolicyLosses.aggregate(perToken, mask, mode, 4, c));
            }
            try (NDArray g = logp.getGradient()) {
                float[] grad = g.toFloatArray();
                assertEquals(0f, grad[0], 0f, mode + ": masked token 0");
                assertEquals(0f, grad[4], 0f, mode + ": masked token 4");
                assertTrue(grad[1] != 0 && grad[5] != 0, mode + ": generated tokens must get gradient");
                g.subi(g); // gradients accumulate across backward calls
            }
        }
    }

    @Test
    void clippedValueLossGoldenValues() {
        // V = 1.5, V_old = 1, R = 2, c = 0.2: unclipped (1.5-2)^2 = 0.25, clipped (1.2-2)^2 = 0.64 -> 0.5 * 0.64
        // V = 1.1: both (1.1-2)^2 = 0.81 -> 0.405
        float[] got = PolicyLosses.clippedValueLoss(
                        a(new float[] {1.5f, 1.1f}, 1, 2),
                        a(new float[] {1f, 1f}, 1, 2),
                        a(new float[] {2f, 2f}, 1, 2),
                        0.2f,
                        c)
                .toFloatArray();
        assertArrayEquals(new float[] {0.32f, 0.405f}, got, 1e-6f);
    }

    @Test
    void reinforceIsMinusAdvantageTimesLogProb() {
        float[] got = PolicyLosses.reinforce(a(new float[] {-1f, -2f}, 1, 2), a(new float[] {0.5f, -1f}, 1, 2))
                .toFloatArray();
        assertArrayEquals(new float[] {0.5f, -2f}, got, 1e-6f);
    }

    @Test
    void klEstimatorsGoldenValues() {
        // logp = -1, ref = -1.5: d = -0.5
        NDArray logp = a(new float[] {-1f, -2f}, 1, 2);
        NDArray ref = a(new float[] {-1.5f, -2f}, 1, 2);
        assertArrayEquals(
                new float[] {0.5f, 0f},
                KlEstimators.perToken(logp, ref, KlEstimators.Estimator.K1, c).toFloatArray(),
                1e-6f);
        assertArrayEquals(
                new float[] {0.125f, 0f},
                KlEstimators.perToken(logp, ref, KlEstimators.Estimator.K2, c).toFloatArray(),
                1e-6f);
        assertArrayEquals(
                new float[] {(float) (Math.exp(-0.5) + 0.5 - 1), 0f},
                KlEstimators.perToken(logp, ref, KlEstimators.Estimator.K3, c).toFloatArray(),
                1e-6f);
        // k3 clamps d at 10: exp(10) - 10 - 1
        float big = KlEstimators.perToken(
                        a(new float[] {-50f}, 1, 1), a(new float[] {0f}, 1, 1), KlEstimators.Estimator.K3, c)
                .getFloat(0, 0);
        assertEquals((float) (Math.exp(10) - 11), big, 1e-2);
    }

    @Test
    void exactKlOfTwoDistributions() {
        // p = (0.5, 0.5), q = (0.25, 0.75): KL = 0.5 ln 2 + 0.5 ln(2/3)
        NDArray p = a(new float[] {(float) Math.log(0.5), (float) Math.log(0.5)}, 1, 1, 2);
        NDArray q = a(new float[] {(float) Math.log(0.25), (float) Math.log(0.75)}, 1, 1, 2);
        assertEquals(
                0.5 * Math.log(2) + 0.5 * Math.log(2.0 / 3),
                KlEstimators.exact(p, q).getFloat(0, 0),
                1e-6);
        assertEquals(0.0, KlEstimators.exact(p, p).getFloat(0, 0), 1e-7);
    }

    @Test
    void truncatedImportanceWeightsGoldenValues() {
        float[] learner = {-1f, -2f, -0.5f, 0f};
        float[] sampler = {-1.5f, -1f, -3f, 0f};
        float[] mask = {1, 1, 1, 0};
        float[] w = PolicyLosses.truncatedImportanceWeights(learner, sampler, mask, 2.0);
        assertEquals(Math.exp(0.5), w[0], 1e-6);
        assertEquals(Math.exp(-1), w[1], 1e-6);
        assertEquals(2.0, w[2], 1e-6, "e^2.5 is capped at 2");
        assertEquals(1.0, w[3], 0, "not generated: weight 1");
    }
}
