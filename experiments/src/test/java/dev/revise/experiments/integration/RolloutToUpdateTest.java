package dev.revise.experiments.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.revise.envs.EnvironmentConfig;
import dev.revise.envs.FeedbackMode;
import dev.revise.envs.SelfCorrectionEnvironment;
import dev.revise.envs.synthetic.SyntheticArithmetic;
import dev.revise.envs.synthetic.SyntheticTaskSource;
import dev.revise.envs.synthetic.SyntheticVerifier;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.ModelShapes;
import dev.revise.policies.model.LlamaConfig;
import dev.revise.policies.model.LlamaModel;
import dev.revise.policies.tokenizer.CharTokenizer;
import dev.revise.policies.tokenizer.ChatFormat;
import dev.revise.rl.RewardBreakdown;
import dev.revise.rl.RewardFunction;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.Task;
import dev.revise.rl.learn.GrpoConfig;
import dev.revise.rl.learn.GrpoLearner;
import dev.revise.rl.learn.MetricNames;
import dev.revise.rl.math.KlEstimators;
import dev.revise.rl.math.PolicyLosses;
import dev.revise.rl.rollout.Rollout;
import dev.revise.rl.rollout.RolloutRequest;
import dev.revise.rl.rollout.RolloutWorker;
import dev.revise.rl.train.AdamW;
import dev.revise.rl.train.LearningRateSchedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The pieces compose: synthetic environment + Llama policy + rollout worker + GRPO update. */
class RolloutToUpdateTest {
    static final RewardFunction PER_TURN = t -> {
        double[] r = new double[t.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = t.turn(i).verdict().binary();
        }
        return new RewardBreakdown(r, Map.of("correct", r));
    };

    @Test
    void twoTurnRolloutsFeedAGrpoUpdate() {
        CharTokenizer tok = ModelShapes.defaultTokenizer(64);
        LlamaConfig config = LlamaConfig.of(64, 32, 2, 4, 2, 64, false, 1e4)
                .withSpecialTokens(tok.bosId().getAsInt(), tok.eosId().getAsInt());
        SyntheticArithmetic gen = SyntheticArithmetic.defaults();
        EnvironmentConfig env = new EnvironmentConfig(
                2,
                "{prompt}",
                FeedbackMode.INTRINSIC,
                "|",
                EnvironmentConfig.RISE_RETRY,
                EnvironmentConfig.DEFAULT_HINT,
                0,
                0,
                30);
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy =
                        new LlamaPolicy(LlamaModel.random(config, root, Device.cpu(), 1), tok, null, ChatFormat.PLAIN);
                LlamaPolicy reference =
                        new LlamaPolicy(LlamaModel.random(config, root, Device.cpu(), 1), tok, null, ChatFormat.PLAIN);
                GrpoLearner learner = new GrpoLearner(
                        policy,
                        reference,
                        new GrpoConfig(
                                GrpoConfig.AdvantageMode.LEAVE_ONE_OUT,
                                0.0,
                                false,
                                dev.revise.rl.math.Clip.standard(),
                                PolicyLosses.Aggregation.TOKEN_MEAN,
                                1f,
                                new GrpoConfig.Kl(KlEstimators.Estimator.K3, new double[] {1.0, 0.01}),
                                0.0,
                                GrpoConfig.Passes.single(4),
                                0,
                                new dev.revise.rl.learn.PolicyOptimizer.Config(
                                        LearningRateSchedule.constant(1e-3), AdamW.Config.defaults()),
                                1.0))) {
            RolloutWorker worker = new RolloutWorker(
                    new SelfCorrectionEnvironment(env, new SyntheticVerifier()),
                    policy.generator(),
                    policy,
                    PER_TURN,
                    16);
            SyntheticTaskSource source = new SyntheticTaskSource(gen, 3);
            List<Task> tasks = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                tasks.add(source.next());
            }
            SamplingParams sampling = SamplingParams.sample(env.maxTokensPerTurn())
                    .withStopTokenIds(Set.of(tok.eosId().getAsInt()));
            List<Rollout> rollouts = worker.run(new RolloutRequest(tasks, 4, 11, 0, sampling), policy.version());
            assertEquals(16, rollouts.size());
            for (Rollout r : rollouts) {
                assertEquals(2, r.trajectory().size());
                String text = tok.decode(r.tokens(), false);
                assertThat(text)
                        .startsWith(r.trajectory().turn(0).prompt().get(0).content());
                assertThat(r.generatedTokens(0)).isBetween(1, 30);
                assertThat(r.generatedTokens(1)).isBetween(1, 30);
            }
            Map<String, Double> stats = learner.update(rollouts);
            assertEquals(1, policy.version());
            assertThat(stats.get(MetricNames.GRAD_NORM)).isPositive();
            assertThat(stats).containsKeys("kl/turn1", "kl/turn2", "reward/turn1", "reward/turn2");
            // the same request with the same seed gives the same rollouts from the same weights
            List<Rollout> again = worker.run(new RolloutRequest(tasks, 4, 11, 0, sampling), policy.version());
            assertThat(again.get(0).tokens()).isNotNull();
        }
    }
}
