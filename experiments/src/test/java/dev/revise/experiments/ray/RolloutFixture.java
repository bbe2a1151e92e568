package dev.revise.experiments.ray;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.envs.EnvironmentConfig;
import dev.revise.envs.FeedbackMode;
import dev.revise.envs.synthetic.SyntheticArithmetic;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.ModelShapes;
import dev.revise.policies.model.LlamaConfig;
import dev.revise.policies.model.LlamaModel;
import dev.revise.policies.tokenizer.CharTokenizer;
import dev.revise.policies.tokenizer.ChatFormat;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.rollout.Rollout;
import dev.revise.rl.rollout.RolloutRequest;
import java.util.List;
import java.util.Set;

/** A tiny policy, two-turn synthetic environment and request shared by the Ray rollout tests. */
final class RolloutFixture {
    final CharTokenizer tok = ModelShapes.defaultTokenizer(64);
    final LlamaConfig config = LlamaConfig.of(64, 32, 2, 4, 2, 64, false, 1e4)
            .withSpecialTokens(tok.bosId().getAsInt(), tok.eosId().getAsInt());
    final EnvironmentConfig env = new EnvironmentConfig(
            2,
            "{prompt}",
            FeedbackMode.INTRINSIC,
            "|",
            EnvironmentConfig.RISE_RETRY,
            EnvironmentConfig.DEFAULT_HINT,
            0,
            0,
            12);
    final JsonNode rewards;
    final RolloutSpec spec;
    /** Six tasks: with 2 tasks per unit and 2 actors, actor 0 runs units 0 and 2, actor 1 unit 1. */
    final RolloutRequest request;

    RolloutFixture() throws Exception {
        ObjectMapper json = new ObjectMapper();
        rewards = json.readTree(
                "{\"correct\": {\"type\": \"correctness\"}, \"progress\": {\"type\": \"progress\", \"alpha\": 10}}");
        spec = new RolloutSpec(config, json.writeValueAsString(tok.toJson()), "plain", env, "synthetic", rewards, 64);
        request = new RolloutRequest(
                SyntheticArithmetic.defaults().heldOutTasks(3, 6),
                3,
                17,
                2,
                SamplingParams.sample(12).withStopTokenIds(Set.of(tok.eosId().getAsInt())));
    }

    LlamaPolicy policy(NDManager root) {
        return new LlamaPolicy(LlamaModel.random(config, root, Device.cpu(), 5), tok, null, ChatFormat.PLAIN);
    }

    /** Byte-for-byte comparison of what a learner consumes. */
    static void assertSameRollouts(List<Rollout> expected, List<Rollout> actual) {
        org.junit.jupiter.api.Assertions.assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(
                    expected.get(i).tokens(), actual.get(i).tokens(), "rollout " + i);
            org.junit.jupiter.api.Assertions.assertArrayEquals(
                    expected.get(i).sampleLogProbs(), actual.get(i).sampleLogProbs(), 0f, "rollout " + i);
            org.junit.jupiter.api.Assertions.assertArrayEquals(
                    expected.get(i).rewards().perTurn(), actual.get(i).rewards().perTurn(), 0, "rollout " + i);
            org.junit.jupiter.api.Assertions.assertEquals(
                    expected.get(i).trajectory().taskId(),
                    actual.get(i).trajectory().taskId());
        }
    }
}
