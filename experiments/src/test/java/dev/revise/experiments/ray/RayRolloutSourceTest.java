package dev.revise.experiments.ray;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import dev.revise.envs.SelfCorrectionEnvironment;
import dev.revise.envs.synthetic.SyntheticVerifier;
import dev.revise.policies.LlamaPolicy;
import dev.revise.rewards.RewardConfig;
import dev.revise.rl.rollout.LocalRolloutSource;
import dev.revise.rl.rollout.Rollout;
import dev.revise.rl.rollout.RolloutWorker;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Same root seed, same rollouts from local threads and from Ray actors (LOCAL mode). */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RayRolloutSourceTest {
    @Test
    void rayAndLocalRolloutsAreIdentical() throws Exception {
        RolloutFixture f = new RolloutFixture();
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = f.policy(root)) {
            List<Rollout> local;
            try (LocalRolloutSource source = new LocalRolloutSource(
                    i -> new RolloutWorker(
                            new SelfCorrectionEnvironment(f.env, new SyntheticVerifier()),
                            policy.generator(),
                            policy,
                            RewardConfig.parse(f.rewards, "rewards"),
                            64),
                    policy::version,
                    2,
                    2,
                    0)) {
                local = source.collect(f.request);
            }
            try (RayRuntime ray = RayRuntime.start(RayOptions.local(Files.createTempDirectory("revise-ray-rollouts")));
                    RayRolloutSource source = new RayRolloutSource(f.spec, policy, 2, 2, 1)) {
                List<Rollout> remote = source.collect(f.request);
                RolloutFixture.assertSameRollouts(local, remote);
                for (int i = 0; i < local.size(); i++) {
                    assertEquals(
                            local.get(i).trajectory().turn(1).verdict(),
                            remote.get(i).trajectory().turn(1).verdict());
                }
            }
        }
    }
}
