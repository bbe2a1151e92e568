package dev.revise.policies.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.revise.policies.TestModels;
import org.junit.jupiter.api.Test;

/** Logits computed incrementally through the KV cache equal a full recomputation. */
class KvCacheTest {
    @Test
    void incrementalDecodingEqualsFullRecompute() {
        LlamaConfig config = TestModels.gqa(40);
        long[] tokens = {1, 5, 9, 12, 3, 30, 7, 7, 22, 14, 2, 39};
        int n = tokens.length;
        int prefill = 5;
        try (NDManager root = NDManager.newBaseManager();
                LlamaModel model = LlamaModel.random(config, root, ai.djl.Device.cpu(), 11);
                NDManager scope = root.newSubManager()) {
            long[] positions = new long[n];
            for (int i = 0; i < n; i++) {
                positions[i] = i;
            }
            NDArray full = model.logits(model.forward(
                    scope,
                    scope.create(tokens, new Shape(1, n)),
                    scope.create(positions, new Shape(1, n)),
                    model.causalBias(scope, n),
                    null,
                    0,
                    false));
            float[] expected = full.toFloatArray(); // (1, n, V)

            KvCache cache = new KvCache(scope, config, 1, n);
            long[] first = java.util.Arrays.copyOf(tokens, prefill);
            long[] firstPos = java.util.Arrays.copyOf(positions, prefill);
            float[] got = new float[expected.length];
            float[] pre = model.logits(model.forward(
                            scope,
                            scope.create(first, new Shape(1, prefill)),
                            scope.create(firstPos, new Shape(1, prefill)),
                            model.causalBias(scope, prefill),
                            cache,
                            0,
                            false))
                    .toFloatArray();
            System.arraycopy(pre, 0, got, 0, pre.length);
            int v = config.vocabSize();
            for (int t = prefill; t < n; t++) {
                NDArray bias = scope.zeros(new Shape(1, 1, 1, 1, t + 1));
                float[] step = model.logits(model.forward(
                                scope,
                                scope.create(new long[] {tokens[t]}, new Shape(1, 1)),
                                scope.create(new long[] {t}, new Shape(1, 1)),
                                bias,
                                cache,
                                t,
                                false))
                        .toFloatArray();
                System.arraycopy(step, 0, got, t * v, v);
            }
            assertEquals(n, cache.length());
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], got[i], 1e-5, "logit " + (i % v) + " at position " + (i / v));
            }
        }
    }
}
