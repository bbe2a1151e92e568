package dev.revise.policies.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.TestModels;
import dev.revise.policies.model.LlamaConfig;
import dev.revise.rl.ScoreOptions;
import dev.revise.rl.TokenBatch;
import dev.revise.rl.TokenScores;
import dev.revise.rl.train.AdamW;
import dev.revise.rl.train.Scopes;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The policy trains: a copy task is learned, every parameter moves, micro-batching is exact. */
class TrainingTest {
    static final LlamaConfig SMALL =
            new LlamaConfig("llama", 24, 64, 128, 2, 4, 2, 16, 1e-5, 1e4, false, false, 128, 1, 2);

    /** Rows "1 d1..dk 15 d1..dk": the second half copies the first. */
    static int[][] copyBatch(SplittableRandom rng, int batch, int k) {
        int[][] rows = new int[batch][2 * k + 2];
        for (int[] r : rows) {
            r[0] = 1;
            r[k + 1] = 15;
            for (int j = 0; j < k; j++) {
                r[1 + j] = 3 + rng.nextInt(10);
                r[k + 2 + j] = r[1 + j];
            }
        }
        return rows;
    }

    @Test
    void copyTaskLossGoesNearZero() {
        SplittableRandom rng = new SplittableRandom(3);
        int k = 6;
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = TestModels.policy(root, SMALL, 1);
                AdamW adam = new AdamW(policy.manager(), new AdamW.Config(0.9, 0.98, 1e-8, 0.0, 1.0))) {
            float first = Float.NaN;
            float last = Float.NaN;
            for (int step = 0; step < 300; step++) {
                int[][] rows = copyBatch(rng, 16, k);
                try (NDManager scope = Scopes.step(policy.manager(), step)) {
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        TokenScores s = policy.score(scope, new TokenBatch(rows), ScoreOptions.LOGPROBS_ONLY);
                        int t = rows[0].length - 1;
                        float[] mask = new float[rows.length * t];
                        for (int i = 0; i < rows.length; i++) {
                            for (int j = k + 1; j < t; j++) {
                                mask[i * t + j] = 1f / (rows.length * k);
                            }
                        }
                        NDArray loss = s.logProbs()
                                .mul(scope.create(mask, s.logProbs().getShape()))
                                .sum()
                                .neg();
                        gc.backward(loss);
                        last = loss.getFloat();
                        if (step == 0) {
                            first = last;
                        }
                    }
                    adam.step(policy.parameters(), 3e-3);
                    policy.parametersUpdated();
                }
            }
            assertTrue(first > 2.0, "initial loss " + first + " should be near ln(24)");
            assertTrue(last < 0.05, "copy loss after 300 steps: " + last);
        }
    }

    @Test
    void everyParameterChangesAfterOneStep() {
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = TestModels.policy(root, TestModels.gqa(24), 2);
                AdamW adam = new AdamW(policy.manager(), AdamW.Config.defaults())) {
            Map<String, float[]> before = new HashMap<>();
            policy.parameters().forEach((n, p) -> before.put(n, p.toFloatArray()));
            int[][] rows = copyBatch(new SplittableRandom(1), 4, 4);
            try (NDManager scope = Scopes.step(policy.manager(), 0)) {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    TokenScores s = policy.score(scope, new TokenBatch(rows), ScoreOptions.LOGPROBS_ONLY);
                    gc.backward(s.logProbs().mul(s.mask()).sum().neg());
                }
                adam.step(policy.parameters(), 1e-3);
                policy.parametersUpdated();
            }
            assertEquals(1, policy.version());
            policy.parameters().forEach((n, p) -> {
                float[] a = before.get(n);
                float[] b = p.toFloatArray();
                int changed = 0;
                for (int i = 0; i < a.length; i++) {
                    if (a[i] != b[i]) {
                        changed++;
                    }
                }
                assertTrue(changed > 0, "parameter " + n + " did not change");
            });
        }
    }

    /** One backward over 8 rows equals eight accumulated backwards over 1 row each. */
    @Test
    void microBatchesOneByEightEqualEightByOne() {
        int[][] rows = copyBatch(new SplittableRandom(9), 8, 5);
        Map<String, float[]> whole = new HashMap<>();
        Map<String, float[]> split = new HashMap<>();
        for (int mode = 0; mode < 2; mode++) {
            try (NDManager root = NDManager.newBaseManager();
                    LlamaPolicy policy = TestModels.policy(root, SMALL, 4)) {
                try (NDManager step = Scopes.step(policy.manager(), 0);
                        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    if (mode == 0) {
                        NDArray loss = lossOf(policy, step, rows, 1f);
                        gc.backward(loss);
                    } else {
                        for (int i = 0; i < rows.length; i++) {
                            try (NDManager micro = Scopes.microBatch(step, i)) {
                                gc.backward(lossOf(policy, micro, new int[][] {rows[i]}, 1f / rows.length));
                            }
                        }
                    }
                }
                Map<String, float[]> out = mode == 0 ? whole : split;
                policy.parameters().forEach((n, p) -> {
                    try (NDArray g = p.getGradient()) {
                        out.put(n, g.toFloatArray());
                    }
                });
            }
        }
        whole.forEach((n, g) -> {
            float[] s = split.get(n);
            for (int i = 0; i < g.length; i++) {
                assertEquals(g[i], s[i], 1e-5 + 1e-4 * Math.abs(g[i]), "gradient of " + n + "[" + i + "]");
            }
        });
    }

    private static NDArray lossOf(LlamaPolicy policy, NDManager scope, int[][] rows, float weight) {
        TokenScores s = policy.score(scope, new TokenBatch(rows), ScoreOptions.LOGPROBS_ONLY);
        float[] w = new float[] {weight};
        return s.logProbs()
                .mul(s.mask())
                .sum(new int[] {1})
                .mean()
                .mul(scope.create(w).reshape())
                .neg();
    }
}
