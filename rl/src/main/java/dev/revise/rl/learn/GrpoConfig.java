package dev.revise.rl.learn;

import dev.revise.rl.ScoreOptions;
import dev.revise.rl.math.Clip;
import dev.revise.rl.math.KlEstimators;
import dev.revise.rl.math.PolicyLosses.Aggregation;

/**
 * The settings of a {@link GrpoLearner} (GRPO, RLOO, REINFORCE and SCoRe's stages), as {@code
 * experiments}' AlgorithmSpec reads them from {@code grpo.*} and {@code train.*}.
 *
 * @param advantage how per-turn returns become advantages
 * @param turnDiscount gamma over turns for the per-turn returns (1: every later reward counts)
 * @param filterZeroVarianceGroups drop groups whose returns are equal at every turn (DAPO)
 * @param clip ratio clipping
 * @param aggregation how per-token losses are averaged
 * @param lengthNormalizer the constant of {@link Aggregation#SEQUENCE_MEAN_TOKEN_SUM_NORM}
 * @param kl KL to the reference policy
 * @param entropyCoefficient bonus on the policy's entropy (0 disables)
 * @param passes epochs, mini-batches and micro-batches of an update
 * @param rolloutIsCap C of the truncated importance weight min(pi_old / pi_sampler, C); 0 disables
 * @param optimizer AdamW and the run's learning-rate schedule
 * @param temperature the rollouts' sampling temperature: every log-prob (ratio, KL, entropy) is
 *     that of softmax(logits / T), the distribution the tokens were drawn from
 */
public record GrpoConfig(
        AdvantageMode advantage,
        double turnDiscount,
        boolean filterZeroVarianceGroups,
        Clip clip,
        Aggregation aggregation,
        float lengthNormalizer,
        Kl kl,
        double entropyCoefficient,
        Passes passes,
        double rolloutIsCap,
        PolicyOptimizer.Config optimizer,
        double temperature) {
    /** How turn returns become advantages. */
    public enum AdvantageMode {
        GROUP_STD,
        GROUP,
        LEAVE_ONE_OUT,
        BATCH_MEAN
    }

    /**
     * KL to the reference: {@code perTurn[k]} is the coefficient on tokens of turn k (the last
     * value repeats for later turns). All zeros disables it (no reference needed).
     *
     * @param inReward false: the estimator's per-token KL is added to the loss (GRPO); true: each
     *     turn's reward is lowered by beta_k times the k1 KL summed over the turn's tokens before
     *     advantages are computed (RLOO/PPO style), and the loss has no KL term
     * @param target adaptive coefficient (Ziegler et al. 2019): after each update the coefficients
     *     are scaled by 1 + clip(KL / target - 1, -0.2, 0.2) * rows / horizon; 0 keeps them fixed
     * @param horizon the adaptive controller's horizon in rollouts
     */
    public record Kl(KlEstimators.Estimator estimator, double[] perTurn, boolean inReward, double target, int horizon) {
        public Kl {
            if (target < 0 || (target > 0 && horizon < 1)) {
                throw new IllegalArgumentException(
                        "kl target must be >= 0 and, when adaptive, the horizon >= 1; got " + target + ", " + horizon);
            }
            if (inReward && estimator == KlEstimators.Estimator.EXACT) {
                throw new IllegalArgumentException("the exact KL is a loss term; in the reward the KL is k1");
            }
            if (!inReward && estimator == KlEstimators.Estimator.K1 && anyNonZero(perTurn)) {
                // E_pi[grad (log pi - log pi_ref)] = E_pi[grad log pi] = 0: the term would only add noise
                throw new IllegalArgumentException("k1 as a KL term in the loss has zero expected gradient: use k3"
                        + " or k2 in the loss, or k1 with the KL in the reward");
            }
        }

        public Kl(KlEstimators.Estimator estimator, double[] perTurn) {
            this(estimator, perTurn, false, 0, 10_000);
        }

        public static Kl none() {
            return new Kl(KlEstimators.Estimator.K3, new double[] {0});
        }

        boolean enabled() {
            return anyNonZero(perTurn);
        }

        private static boolean anyNonZero(double[] v) {
            for (double c : v) {
                if (c != 0) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * How often an update goes over its batch.
     *
     * @param epochs passes over the batch
     * @param miniBatches optimizer steps per pass, each on a contiguous share of the rows
     * @param microBatchRows rows per forward/backward within a mini-batch (0: all at once)
     */
    public record Passes(int epochs, int miniBatches, int microBatchRows) {
        public Passes {
            if (epochs < 1 || miniBatches < 1 || microBatchRows < 0) {
                throw new IllegalArgumentException(
                        "epochs and mini-batches must be >= 1 and micro-batch rows >= 0, got " + epochs + ", "
                                + miniBatches + ", " + microBatchRows);
            }
        }

        /** One optimizer step per batch (the ratio stays 1). */
        public static Passes single(int microBatchRows) {
            return new Passes(1, 1, microBatchRows);
        }

        public int optimizerSteps() {
            return epochs * miniBatches;
        }
    }

    public GrpoConfig {
        if (!(turnDiscount >= 0 && turnDiscount <= 1)) {
            throw new IllegalArgumentException("the turn discount must be in [0, 1], got " + turnDiscount);
        }
        if (!(rolloutIsCap >= 0)) {
            throw new IllegalArgumentException("the rollout IS cap must be >= 0 (0 disables), got " + rolloutIsCap);
        }
        if (!(lengthNormalizer > 0)) {
            throw new IllegalArgumentException("the length normalizer must be > 0, got " + lengthNormalizer);
        }
        ScoreOptions.checkTemperature(temperature, "the learner's sampling temperature");
    }

    ScoreOptions scoring(ScoreOptions what) {
        return what.atTemperature(temperature);
    }

    public GrpoConfig withFilterZeroVarianceGroups(boolean v) {
        return new GrpoConfig(
                advantage,
                turnDiscount,
                v,
                clip,
                aggregation,
                lengthNormalizer,
                kl,
                entropyCoefficient,
                passes,
                rolloutIsCap,
                optimizer,
                temperature);
    }

    public GrpoConfig withClip(Clip v) {
        return new GrpoConfig(
                advantage,
                turnDiscount,
                filterZeroVarianceGroups,
                v,
                aggregation,
                lengthNormalizer,
                kl,
                entropyCoefficient,
                passes,
                rolloutIsCap,
                optimizer,
                temperature);
    }

    public GrpoConfig withKl(Kl v) {
        return new GrpoConfig(
                advantage,
                turnDiscount,
                filterZeroVarianceGroups,
                clip,
                aggregation,
                lengthNormalizer,
                v,
                entropyCoefficient,
                passes,
                rolloutIsCap,
                optimizer,
                temperature);
    }

    public GrpoConfig withPasses(Passes v) {
        return new GrpoConfig(
                advantage,
                turnDiscount,
                filterZeroVarianceGroups,
                clip,
                aggregation,
                lengthNormalizer,
                kl,
                entropyCoefficient,
                v,
                rolloutIsCap,
                optimizer,
                temperature);
    }

    public GrpoConfig withRolloutIsCap(double v) {
        return new GrpoConfig(
                advantage,
                turnDiscount,
                filterZeroVarianceGroups,
                clip,
                aggregation,
                lengthNormalizer,
                kl,
                entropyCoefficient,
                passes,
                v,
                optimizer,
                temperature);
    }
}
