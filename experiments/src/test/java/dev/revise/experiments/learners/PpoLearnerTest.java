package dev.revise.experiments.learners;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import dev.revise.policies.LlamaPolicy;
import dev.revise.rl.learn.MetricNames;
import dev.revise.rl.learn.PpoLearner;
import dev.revise.rl.train.LearningRateSchedule;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PpoLearnerTest {
    @Test
    void everyParameterAndTheValueHeadChange() {
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy p = GrpoLearnerTest.policy(root, 4);
                LlamaPolicy ref = GrpoLearnerTest.policy(root, 4);
                PpoLearner ppo = new PpoLearner(
                        p,
                        ref,
                        GrpoLearnerTest.CONFIG.hiddenSize(),
                        PpoLearner.Config.defaults(LearningRateSchedule.constant(1e-3)))) {
            Map<String, float[]> before = new HashMap<>();
            p.parameters().forEach((n, a) -> before.put(n, a.toFloatArray()));
            ppo.valueHead().parameters().forEach((n, a) -> before.put(n, a.toFloatArray()));
            Map<String, Double> stats = ppo.update(GrpoLearnerTest.rollouts(2, 4, 9));
            p.parameters().forEach((n, a) -> assertThat(a.toFloatArray()).as(n).isNotEqualTo(before.get(n)));
            ppo.valueHead()
                    .parameters()
                    .forEach((n, a) -> assertThat(a.toFloatArray()).as(n).isNotEqualTo(before.get(n)));
            assertEquals(2, ppo.steps(), "2 epochs of one mini-batch");
            assertThat(stats)
                    .containsKeys(MetricNames.LOSS, "value/loss", MetricNames.CLIP_FRACTION, "kl/reward_k1_mean");
            // the policy equals the reference at the start: the KL in the reward is 0
            assertEquals(0.0, stats.get("kl/reward_k1_mean"), 1e-5);
        }
    }
}
