package dev.revise.experiments.learners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.revise.policies.LlamaPolicy;
import dev.revise.rl.RewardBreakdown;
import dev.revise.rl.learn.GrpoConfig;
import dev.revise.rl.learn.GrpoLearner;
import dev.revise.rl.learn.MetricNames;
import dev.revise.rl.math.KlEstimators;
import dev.revise.rl.math.PolicyLosses.Aggregation;
import dev.revise.rl.rollout.Rollout;
import dev.revise.rl.train.AdamW;
import dev.revise.rl.train.LearningRateSchedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** SCoRe's stages as configured for GrpoLearner: Stage I puts no reward gradient on attempt 1. */
class ScoreStageTest {
    static GrpoConfig stage(double klTurn1) {
        return new GrpoConfig(
                GrpoConfig.AdvantageMode.LEAVE_ONE_OUT,
                0.0,
                false,
                dev.revise.rl.math.Clip.standard(),
                Aggregation.TOKEN_MEAN,
                1f,
                new GrpoConfig.Kl(KlEstimators.Estimator.K3, new double[] {klTurn1, 0}),
                0.0,
                GrpoConfig.Passes.single(0),
                0,
                new dev.revise.rl.learn.PolicyOptimizer.Config(
                        LearningRateSchedule.constant(1e-3), new AdamW.Config(0.9, 0.99, 1e-8, 0, 0)),
                1.0);
    }

    /** Rollouts whose attempt-1 correctness varies within groups but attempt 2 is always right. */
    static List<Rollout> varyingFirstAttempt(boolean stage1) {
        List<Rollout> out = new ArrayList<>();
        int i = 0;
        for (Rollout r : GrpoLearnerTest.rollouts(2, 4, 17)) {
            double r1 = (i++ % 2);
            double r2 = 1;
            double[] reward = stage1 ? new double[] {0, r2} : new double[] {r1, r2 + 10 * (r2 - r1)};
            out.add(r.withRewards(new RewardBreakdown(reward, Map.of())));
        }
        return out;
    }

    static double gradNorm(List<Rollout> batch, double klTurn1, long referenceSeed) {
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy p = GrpoLearnerTest.policy(root, 5);
                LlamaPolicy ref = GrpoLearnerTest.policy(root, referenceSeed);
                GrpoLearner learner = new GrpoLearner(p, ref, stage(klTurn1))) {
            return learner.update(batch).get(MetricNames.GRAD_NORM);
        }
    }

    @Test
    void stageOneHasNoRewardGradientOnAttemptOne() {
        // attempt 2 is right everywhere, so its advantages are 0; attempt 1 is not rewarded in Stage I
        assertEquals(0.0, gradNorm(varyingFirstAttempt(true), 0.0, 5), 0.0);
    }

    @Test
    void stageOneKeepsTheKlOnAttemptOne() {
        assertTrue(gradNorm(varyingFirstAttempt(true), 1.0, 6) > 0, "the KL on attempt 1 must give a gradient");
    }

    @Test
    void stageTwoRewardsBothAttempts() {
        assertTrue(gradNorm(varyingFirstAttempt(false), 0.0, 5) > 0);
    }
}
