package dev.revise.experiments.learners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.revise.policies.LlamaPolicy;
import dev.revise.rl.RewardBreakdown;
import dev.revise.rl.ScoreOptions;
import dev.revise.rl.TokenBatch;
import dev.revise.rl.learn.GrpoConfig;
import dev.revise.rl.learn.GrpoLearner;
import dev.revise.rl.learn.MetricNames;
import dev.revise.rl.math.Clip;
import dev.revise.rl.math.KlEstimators;
import dev.revise.rl.rollout.Rollout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * GRPO's several optimizer steps per batch, its zero-variance filter per turn, and the
 * sampler/learner mismatch: each test failed before the fix it guards.
 */
class GrpoPassesAndMismatchTest {

    static GrpoConfig base() {
        return GrpoLearnerTest.config(0, 0, 0).withKl(GrpoConfig.Kl.none());
    }

    /** The rollouts with their sampler log-probs replaced by the policy's own, plus {@code shift}. */
    static List<Rollout> withSamplerLogProbs(LlamaPolicy p, List<Rollout> batch, float shift) {
        List<Rollout> out = new ArrayList<>();
        try (NDManager scope = p.manager().newSubManager()) {
            TokenBatch tb = new TokenBatch(batch.stream().map(Rollout::tokens).toArray(int[][]::new));
            float[] lp =
                    p.score(scope, tb, ScoreOptions.LOGPROBS_ONLY).logProbs().toFloatArray();
            int cols = tb.maxLength() - 1;
            for (int i = 0; i < batch.size(); i++) {
                Rollout r = batch.get(i);
                float[] s = new float[r.tokens().length];
                for (int j = 1; j < s.length; j++) {
                    s[j] = r.turnOfToken()[j] >= 0 ? lp[i * cols + j - 1] + shift : 0f;
                }
                out.add(new Rollout(r.trajectory(), r.sample(), r.tokens(), r.turnOfToken(), s, r.rewards()));
            }
        }
        return out;
    }

    @Test
    void severalStepsPerBatchClipAndOneStepNeverDoes() {
        List<Rollout> batch = GrpoLearnerTest.rollouts(2, 4, 5);
        double[] clip = new double[2];
        long[] steps = new long[2];
        GrpoConfig.Passes[] passes = {GrpoConfig.Passes.single(0), new GrpoConfig.Passes(2, 2, 3)};
        for (int k = 0; k < 2; k++) {
            try (NDManager root = NDManager.newBaseManager();
                    LlamaPolicy p = GrpoLearnerTest.policy(root, 4);
                    GrpoLearner learner = new GrpoLearner(
                            p, null, base().withPasses(passes[k]).withClip(new Clip(0.02f, 0.02f, 0f)))) {
                Map<String, Double> stats = learner.update(batch);
                clip[k] = stats.get(MetricNames.CLIP_FRACTION);
                steps[k] = learner.steps();
            }
        }
        assertEquals(0.0, clip[0], "one optimizer step per batch: the ratio is 1, nothing clips");
        assertTrue(clip[1] > 0, "2 epochs x 2 mini-batches move the policy off pi_old: " + clip[1]);
        assertEquals(1, steps[0]);
        assertEquals(4, steps[1], "epochs x mini-batches optimizer steps per update");
    }

    /** Before: a group (1, 0) / (0, 1) had equal totals and was dropped as if it had no signal. */
    @Test
    void zeroVarianceIsDecidedPerTurnOnTheRawReturns() {
        List<Rollout> batch = new ArrayList<>();
        List<Rollout> raw = GrpoLearnerTest.rollouts(1, 2, 9);
        batch.add(raw.get(0).withRewards(new RewardBreakdown(new double[] {1, 0}, Map.of())));
        batch.add(raw.get(1).withRewards(new RewardBreakdown(new double[] {0, 1}, Map.of())));
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy p = GrpoLearnerTest.policy(root, 4);
                GrpoLearner learner = new GrpoLearner(p, null, base().withFilterZeroVarianceGroups(true))) {
            byte[] before = p.snapshot();
            Map<String, Double> stats = learner.update(batch);
            assertEquals(0.0, stats.get(MetricNames.ZERO_VARIANCE_GROUPS), "turn-2 returns 0 vs 1 differ");
            assertTrue(!Arrays.equals(before, p.snapshot()), "the group trains");
        }
        // all rewards equal, KL in the reward: the penalty must not hide that the group has no signal
        List<Rollout> same = new ArrayList<>();
        for (Rollout r : GrpoLearnerTest.rollouts(2, 3, 13)) {
            same.add(r.withRewards(new RewardBreakdown(new double[] {1, 1}, Map.of())));
        }
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy p = GrpoLearnerTest.policy(root, 2);
                LlamaPolicy ref = GrpoLearnerTest.policy(root, 3);
                GrpoLearner learner = new GrpoLearner(
                        p,
                        ref,
                        base().withKl(new GrpoConfig.Kl(KlEstimators.Estimator.K1, new double[] {0.1}, true, 0, 10)))) {
            assertEquals(1.0, learner.update(same).get(MetricNames.ZERO_VARIANCE_GROUPS));
        }
    }

    @Test
    void mismatchMetricsMeasureTheSamplersLogProbs() {
        List<Rollout> batch = GrpoLearnerTest.rollouts(2, 2, 21);
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy p = GrpoLearnerTest.policy(root, 6)) {
            List<Rollout> exact = withSamplerLogProbs(p, batch, 0f);
            List<Rollout> shifted = withSamplerLogProbs(p, batch, -0.25f);
            try (GrpoLearner learner = new GrpoLearner(p, null, base())) {
                Map<String, Double> s = learner.update(exact);
                assertTrue(s.get(MetricNames.MISMATCH_LOGP_ABS_MAX) < 1e-5, s.toString());
            }
            try (LlamaPolicy q = GrpoLearnerTest.policy(root, 6);
                    GrpoLearner learner = new GrpoLearner(q, null, base())) {
                Map<String, Double> s = learner.update(shifted);
                assertEquals(0.25, s.get(MetricNames.MISMATCH_LOGP_ABS_MEAN), 1e-5);
                assertEquals(0.25, s.get(MetricNames.MISMATCH_LOGP_ABS_MAX), 1e-5);
            }
        }
    }

    /**
     * A sampler whose log-probs are 1 below the learner's (ratio e = 2.72) with cap 2: every weight is
     * 2, which doubles the policy-gradient step of a token-mean loss; off (cap 0), the update is the
     * uncorrected one.
     */
    @Test
    void truncatedImportanceSamplingCorrectsAPerturbedSampler() {
        List<Rollout> batch = GrpoLearnerTest.rollouts(2, 4, 8);
        double[] loss = new double[3];
        double[] weight = new double[3];
        double[] caps = {0, 2, 100};
        for (int k = 0; k < 3; k++) {
            try (NDManager root = NDManager.newBaseManager();
                    LlamaPolicy p = GrpoLearnerTest.policy(root, 7)) {
                List<Rollout> perturbed = withSamplerLogProbs(p, batch, -1f);
                try (GrpoLearner learner = new GrpoLearner(p, null, base().withRolloutIsCap(caps[k]))) {
                    Map<String, Double> s = learner.update(perturbed);
                    loss[k] = s.get(MetricNames.LOSS);
                    weight[k] = s.getOrDefault(MetricNames.MISMATCH_IS_WEIGHT_MEAN, Double.NaN);
                    if (caps[k] == 2) {
                        assertEquals(1.0, s.get(MetricNames.MISMATCH_IS_CAPPED_FRACTION), 1e-9);
                    }
                }
            }
        }
        assertTrue(Double.isNaN(weight[0]), "no IS metrics when the correction is off");
        assertEquals(2.0, weight[1], 1e-6);
        assertEquals(Math.E, weight[2], 1e-4);
        assertEquals(2 * loss[0], loss[1], 1e-5 * Math.max(1, Math.abs(loss[0])));
        assertNotEquals(loss[1], loss[2]);
    }

    @Test
    void k1InTheLossIsRefused() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> new GrpoConfig.Kl(KlEstimators.Estimator.K1, new double[] {0.1}));
        assertTrue(e.getMessage().contains("zero expected gradient"), e.getMessage());
        new GrpoConfig.Kl(KlEstimators.Estimator.K1, new double[] {0}); // off: nothing to refuse
    }
}
