package dev.revise.policies.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDManager;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.TestModels;
import dev.revise.rl.ScoreOptions;
import dev.revise.rl.TokenBatch;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Weights live in native memory the model owns: tensors made from Java arrays alias direct
 * buffers that the garbage collector frees, so weights that kept such an alias would turn into
 * garbage once that memory is reused (a bug this test caught: NaN gradients after a few steps).
 */
class WeightsOwnershipTest {
    @Test
    void weightsSurviveGarbageCollectionAndMemoryReuse() throws Exception {
        int[][] rows = {{1, 4, 8, 15, 16, 3, 9, 2, 7, 7}};
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = TestModels.policy(root, TestModels.gqa(24), 12);
                NDManager scope = root.newSubManager()) {
            byte[] before = policy.snapshot();
            float[] a = policy.score(scope, new TokenBatch(rows), ScoreOptions.LOGPROBS_ONLY)
                    .logProbs()
                    .toFloatArray();
            for (int round = 0; round < 3; round++) {
                System.gc();
                Thread.sleep(50);
                List<ByteBuffer> reuse = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    ByteBuffer b = ByteBuffer.allocateDirect(before.length);
                    while (b.hasRemaining()) {
                        b.put((byte) 0x7F);
                    }
                    reuse.add(b);
                }
                reuse.clear();
            }
            assertArrayEquals(before, policy.snapshot(), "weights changed after GC and memory reuse");
            float[] b = policy.score(scope, new TokenBatch(rows), ScoreOptions.LOGPROBS_ONLY)
                    .logProbs()
                    .toFloatArray();
            assertArrayEquals(a, b);
        }
    }
}
