package dev.revise.policies.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import dev.revise.policies.DeviceSpec;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.TestModels;
import dev.revise.policies.model.LlamaConfig;
import dev.revise.rl.ScoreOptions;
import dev.revise.rl.TokenBatch;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointRoundTripTest {
    @TempDir
    Path dir;

    @Test
    void writeThenReadReproducesLogProbsExactly() throws Exception {
        int[][] rows = {{1, 4, 8, 15, 16, 3, 9}, {1, 2, 3}};
        LlamaConfig config = TestModels.gqa(24);
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy original = TestModels.policy(root, config, 3);
                NDManager scope = root.newSubManager()) {
            original.save(dir);
            try (LlamaPolicy loaded = LlamaPolicy.load(dir, root, DeviceSpec.cpu())) {
                assertEquals(config, loaded.config());
                assertArrayEquals(original.snapshot(), loaded.snapshot());
                float[] a = original.score(scope, new TokenBatch(rows), ScoreOptions.LOGPROBS_ONLY)
                        .logProbs()
                        .toFloatArray();
                float[] b = loaded.score(scope, new TokenBatch(rows), ScoreOptions.LOGPROBS_ONLY)
                        .logProbs()
                        .toFloatArray();
                assertArrayEquals(a, b);
                assertEquals(
                        "12+3", loaded.tokenizer().decode(loaded.tokenizer().encode("12+3"), true));
            }
        }
    }

    @Test
    void tiedEmbeddingsOmitTheHeadTensor() throws Exception {
        LlamaConfig tied = new LlamaConfig("llama", 24, 16, 24, 1, 2, 1, 8, 1e-5, 1e4, true, false, 64, 1, 2);
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = TestModels.policy(root, tied, 1)) {
            policy.save(dir);
        }
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            assertEquals(false, f.entries().containsKey("lm_head.weight"));
            assertEquals("pt", f.metadata().get("format"));
            assertEquals(
                    tied.parameterCount(),
                    f.entries().values().stream()
                            .mapToLong(SafetensorsFile.Entry::elementCount)
                            .sum());
        }
    }
}
