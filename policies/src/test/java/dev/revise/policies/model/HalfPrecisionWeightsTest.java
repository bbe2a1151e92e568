package dev.revise.policies.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.revise.policies.DeviceSpec;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.TestModels;
import dev.revise.policies.tokenizer.ChatFormat;
import dev.revise.rl.Completion;
import dev.revise.rl.Prompt;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.ScoreOptions;
import dev.revise.rl.TokenBatch;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The half-precision inference path (float16 weights, float32 softmax) that GPU users select,
 * exercised on the CPU, which runs float16 ops slowly but correctly.
 */
class HalfPrecisionWeightsTest {
    @Test
    void float16WeightsScoreAndSampleLikeFloat32() {
        LlamaConfig config = TestModels.gqa(24);
        int[][] rows = {{1, 4, 8, 15, 16, 3, 9}, {1, 2, 3}};
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy full = TestModels.policy(root, config, 8);
                LlamaPolicy half = new LlamaPolicy(
                        LlamaModel.random(config, root, Device.cpu(), DataType.FLOAT16, 8),
                        TestModels.digits(),
                        null,
                        ChatFormat.CHATML);
                NDManager scope = root.newSubManager()) {
            assertEquals(DataType.FLOAT16, half.model().dtype());
            float[] a = full.score(scope, new TokenBatch(rows), ScoreOptions.LOGPROBS_ONLY)
                    .logProbs()
                    .toFloatArray();
            float[] b = half.score(scope, new TokenBatch(rows), ScoreOptions.LOGPROBS_ONLY)
                    .logProbs()
                    .toFloatArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 1e-2, "log-prob " + i);
            }
            List<Prompt> prompts = List.of(new Prompt(new int[] {1, 5}, 1), new Prompt(new int[] {1, 5, 6, 7}, 2));
            List<Completion> out = half.generator().generate(prompts, SamplingParams.sample(6));
            assertEquals(6, out.get(1).length());
            // a float16 policy ships float32 snapshots that a float32 policy can load
            full.restore(half.snapshot(), 3);
            float[] c = full.score(scope, new TokenBatch(rows), ScoreOptions.LOGPROBS_ONLY)
                    .logProbs()
                    .toFloatArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(b[i], c[i], 1e-2, "log-prob " + i + " after restoring the float16 snapshot");
            }
        }
    }

    @Test
    void halfPrecisionOnCpuIsRefusedAsAConfigChoice() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new DeviceSpec("cpu", "bfloat16"));
        assertEquals(true, e.getMessage().contains("run.dtype bfloat16 is refused on cpu"));
        assertThrows(IllegalArgumentException.class, () -> new DeviceSpec("gpu", "float32"));
        assertEquals(DataType.BFLOAT16, new DeviceSpec("cuda:1", "bfloat16").dataType());
    }
}
