package dev.revise.rl.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** AdamW against a hand computation in double precision, clipping, skipping and state round trips. */
class AdamWTest {

    /** loss = sum(c * w) so that grad = c exactly. */
    private static void backward(NDManager model, Map<String, NDArray> params, float[][] coefficients) {
        try (NDManager step = model.newSubManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = null;
            int i = 0;
            for (NDArray p : params.values()) {
                NDArray c = step.create(coefficients[i++], p.getShape());
                NDArray term = p.mul(c).sum();
                loss = loss == null ? term : loss.add(term);
            }
            gc.backward(loss);
        }
    }

    private static Map<String, NDArray> params(NDManager m) {
        Map<String, NDArray> p = new LinkedHashMap<>();
        NDArray w = m.create(new float[] {1f, -2f, 0.5f, 3f}, new Shape(2, 2)).duplicate();
        NDArray b = m.create(new float[] {0.25f, -0.75f}).duplicate();
        w.setRequiresGradient(true);
        b.setRequiresGradient(true);
        p.put("w", w);
        p.put("b", b);
        return p;
    }

    @Test
    void matchesHandComputedAdamWWithDecayOnMatricesOnly() {
        double lr = 0.1;
        double b1 = 0.9;
        double b2 = 0.99;
        double eps = 1e-8;
        double wd = 0.5;
        float[][] grads = {{0.3f, -0.1f, 0.2f, 0.05f}, {1.0f, -0.4f}};
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> p = params(m);
            double[][] w = {{1, -2, 0.5, 3}, {0.25, -0.75}};
            double[][] mom = new double[2][];
            double[][] vel = new double[2][];
            mom[0] = new double[4];
            mom[1] = new double[2];
            vel[0] = new double[4];
            vel[1] = new double[2];
            try (AdamW adam = new AdamW(m, new AdamW.Config(b1, b2, eps, wd, 0.0))) {
                for (int t = 1; t <= 3; t++) {
                    backward(m, p, grads);
                    AdamW.StepResult r = adam.step(p, lr);
                    assertTrue(r.applied());
                    double corr = Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t));
                    for (int k = 0; k < 2; k++) {
                        double decay = k == 0 ? wd : 0.0;
                        for (int j = 0; j < w[k].length; j++) {
                            double g = grads[k][j];
                            w[k][j] -= lr * decay * w[k][j];
                            mom[k][j] = b1 * mom[k][j] + (1 - b1) * g;
                            vel[k][j] = b2 * vel[k][j] + (1 - b2) * g * g;
                            w[k][j] -= lr * corr * mom[k][j] / (Math.sqrt(vel[k][j]) + eps);
                        }
                    }
                    float[] gotW = p.get("w").toFloatArray();
                    float[] gotB = p.get("b").toFloatArray();
                    for (int j = 0; j < 4; j++) {
                        assertEquals(w[0][j], gotW[j], 1e-5, "w[" + j + "] after step " + t);
                    }
                    for (int j = 0; j < 2; j++) {
                        assertEquals(w[1][j], gotB[j], 1e-5, "b[" + j + "] after step " + t);
                    }
                }
            }
        }
    }

    @Test
    void clipsByGlobalNormAndReportsTheNorm() {
        float[][] grads = {{3f, 0f, 0f, 0f}, {0f, 4f}}; // global norm 5
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> p = params(m);
            backward(m, p, grads);
            try (AdamW adam = new AdamW(m, new AdamW.Config(0.9, 0.999, 1e-8, 0.0, 1.0))) {
                AdamW.StepResult r = adam.step(p, 1e-3);
                assertEquals(5.0, r.gradNorm(), 1e-5);
                assertEquals(0.2, r.clipFactor(), 1e-5);
                // first moment after one step = (1 - b1) * clipped gradient
                assertEquals(0.1 * 3 * 0.2, adam.stateTensors().get("exp_avg.w").toFloatArray()[0], 1e-6);
            }
        }
    }

    @Test
    void nonFiniteGradientSkipsTheStepAndZeroesGradients() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> p = params(m);
            float[] before = p.get("w").toFloatArray();
            backward(m, p, new float[][] {{Float.NaN, 0, 0, 0}, {0, 0}});
            try (AdamW adam = new AdamW(m, AdamW.Config.defaults())) {
                int arrays = m.getManagedArrays().size();
                AdamW.StepResult r = adam.step(p, 1e-3);
                assertFalse(r.applied());
                assertEquals(arrays, m.getManagedArrays().size(), "a skipped step leaked arrays");
                assertEquals(0, adam.steps());
                org.junit.jupiter.api.Assertions.assertArrayEquals(
                        before, p.get("w").toFloatArray());
                try (NDArray g = p.get("w").getGradient()) {
                    org.junit.jupiter.api.Assertions.assertArrayEquals(new float[4], g.toFloatArray());
                }
            }
        }
    }

    @Test
    void stateRoundTripContinuesIdentically() {
        float[][] grads = {{0.3f, -0.1f, 0.2f, 0.05f}, {1.0f, -0.4f}};
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> a = params(m);
            Map<String, NDArray> b = params(m);
            try (AdamW first = new AdamW(m, AdamW.Config.defaults());
                    AdamW second = new AdamW(m, AdamW.Config.defaults())) {
                backward(m, a, grads);
                first.step(a, 0.01);
                backward(m, b, grads);
                second.step(b, 0.01);
                // restore `second` from `first`'s state, then both take one more step
                Map<String, NDArray> saved = new LinkedHashMap<>();
                first.stateTensors().forEach((k, v) -> saved.put(k, v.duplicate()));
                second.loadState(saved, first.steps(), b);
                backward(m, a, grads);
                first.step(a, 0.01);
                backward(m, b, grads);
                second.step(b, 0.01);
                org.junit.jupiter.api.Assertions.assertArrayEquals(
                        a.get("w").toFloatArray(), b.get("w").toFloatArray());
            }
        }
    }
}
