package dev.revise.policies;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.rl.ScoreOptions;
import dev.revise.rl.TokenBatch;
import dev.revise.rl.TokenScores;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Log-probs of a checkpoint made by an independent PyTorch Llama implementation match within 1e-4. */
class FixtureParityTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/hf-llama-tiny");

    @Test
    void logProbsMatchTheReferenceImplementation() throws Exception {
        JsonNode expected = new ObjectMapper().readTree(Files.readString(FIXTURE.resolve("expected.json")));
        int[] tokens = new int[expected.get("tokens").size()];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = expected.get("tokens").get(i).asInt();
        }
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = LlamaPolicy.load(FIXTURE, root, DeviceSpec.cpu());
                NDManager scope = root.newSubManager()) {
            TokenScores scores = policy.score(scope, new TokenBatch(new int[][] {tokens}), ScoreOptions.LOGPROBS_ONLY);
            float[] got = scores.logProbs().toFloatArray();
            assertEquals(tokens.length - 1, got.length);
            for (int i = 0; i < got.length; i++) {
                double want = expected.get("logprobs").get(i).asDouble();
                assertEquals(want, got[i], 1e-4, "log p(t_" + (i + 2) + " | t_<" + (i + 2) + ")");
            }
        }
    }
}
