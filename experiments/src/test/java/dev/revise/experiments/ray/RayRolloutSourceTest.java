package dev.revise.experiments.ray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.envs.EnvironmentConfig;
import dev.revise.envs.FeedbackMode;
import dev.revise.envs.SelfCorrectionEnvironment;
import dev.revise.envs.synthetic.SyntheticArithmetic;
import dev.revise.envs.synthetic.SyntheticVerifier;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.ModelShapes;
import dev.revise.policies.model.LlamaConfig;
import dev.revise.policies.model.LlamaModel;
import dev.revise.policies.tokenizer.CharTokenizer;
import dev.revise.policies.tokenizer.ChatFormat;
import dev.revise.rewards.RewardConfig;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.Task;
import dev.revise.rl.rollout.LocalRolloutSource;
import dev.revise.rl.rollout.Rollout;
import dev.revise.rl.rollout.RolloutRequest;
import dev.revise.rl.rollout.RolloutWorker;
import io.ray.api.Ray;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Same root seed, same rollouts from local threads and from Ray actors (LOCAL mode). */
class RayRolloutSourceTest {
    @Test
    void rayAndLocalRolloutsAreIdentical() throws Exception {
        CharTokenizer tok = ModelShapes.defaultTokenizer(64);
        LlamaConfig config = LlamaConfig.of(64, 32, 2, 4, 2, 64, false, 1e4)
                .withSpecialTokens(tok.bosId().getAsInt(), tok.eosId().getAsInt());
        EnvironmentConfig env = new EnvironmentConfig(
                2,
                "{prompt}",
                FeedbackMode.INTRINSIC,
                "|",
                EnvironmentConfig.RISE_RETRY,
                EnvironmentConfig.DEFAULT_HINT,
                0,
                0,
                12);
        var rewards = new ObjectMapper()
                .readTree(
                        "{\"correct\": {\"type\": \"correctness\"}, \"progress\": {\"type\": \"progress\", \"alpha\": 10}}");
        RolloutSpec spec = new RolloutSpec(
                config, new ObjectMapper().writeValueAsString(tok.toJson()), "plain", env, "synthetic", rewards, 64);
        List<Task> tasks = SyntheticArithmetic.defaults().heldOutTasks(3, 6);
        RolloutRequest request = new RolloutRequest(
                tasks,
                3,
                17,
                2,
                SamplingParams.sample(12).withStopTokenIds(Set.of(tok.eosId().getAsInt())));
        Path session = Files.createTempDirectory("revise-ray-rollouts");
        System.setProperty("ray.run-mode", "LOCAL");
        System.setProperty("ray.session-dir", session.toString());
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = new LlamaPolicy(
                        LlamaModel.random(config, root, Device.cpu(), 5), tok, null, ChatFormat.PLAIN)) {
            List<Rollout> local;
            try (LocalRolloutSource source = new LocalRolloutSource(
                    i -> new RolloutWorker(
                            new SelfCorrectionEnvironment(env, new SyntheticVerifier()),
                            policy.generator(),
                            policy,
                            RewardConfig.parse(rewards, "rewards"),
                            64),
                    policy::version,
                    2,
                    2,
                    0)) {
                local = source.collect(request);
            }
            Ray.init();
            try (RayRolloutSource ray = new RayRolloutSource(spec, policy, 2, 2, 1)) {
                List<Rollout> remote = ray.collect(request);
                assertEquals(local.size(), remote.size());
                for (int i = 0; i < local.size(); i++) {
                    assertArrayEquals(local.get(i).tokens(), remote.get(i).tokens(), "rollout " + i);
                    assertArrayEquals(
                            local.get(i).sampleLogProbs(), remote.get(i).sampleLogProbs(), 1e-6f);
                    assertArrayEquals(
                            local.get(i).rewards().perTurn(),
                            remote.get(i).rewards().perTurn(),
                            0);
                    assertEquals(
                            local.get(i).trajectory().taskId(),
                            remote.get(i).trajectory().taskId());
                    assertEquals(
                            local.get(i).trajectory().turn(1).verdict(),
                            remote.get(i).trajectory().turn(1).verdict());
                }
            } finally {
                Ray.shutdown();
            }
        }
    }
}
