package dev.revise.rl.math;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import dev.revise.rl.train.TensorConstants;

/**
 * Per-token policy-gradient losses and their aggregation. All inputs are (B, T) arrays in the
 * caller's scope; constants come from {@link TensorConstants} (scalar ops are unsafe inside a
 * gradient collector, docs/platform.md pitfall 1).
 */
public final class PolicyLosses {
    private PolicyLosses() {}

    /** How per-token losses become one number (names follow DAPO / Dr. GRPO). */
    public enum Aggregation {
        /** sum(loss * mask) / sum(mask) over the whole batch: every token weighs the same (DAPO). */
        TOKEN_MEAN,
        /** mean over sequences of each sequence's token mean (the original GRPO). */
        SEQUENCE_MEAN_TOKEN_MEAN,
        /** mean over sequences of each sequence's token sum divided by a constant (Dr. GRPO). */
        SEQUENCE_MEAN_TOKEN_SUM_NORM
    }

    /** REINFORCE: loss_t = -A_t log pi(y_t). */
    public static NDArray reinforce(NDArray logp, NDArray advantages) {
        return logp.mul(advantages).neg();
    }

    /**
     * The clipped surrogate of one batch.
     *
     * @param loss (B, T) per-token loss
     * @param clipped (B, T) 1 where the clipped branch is active (no gradient flows), else 0
     * @param ratio (B, T) pi / pi_old
     */
    public record Surrogate(NDArray loss, NDArray clipped, NDArray ratio) {
        /** The statistics of the tokens where {@code mask} (B * T, row-major) is 1 (copies to the host). */
        public SurrogateStats stats(float[] mask) {
            return SurrogateStats.of(ratio.toFloatArray(), clipped.toFloatArray(), mask);
        }
    }

    /**
     * Sums over the masked tokens of a surrogate, which add up across micro-batches: the token
     * count, the clipped tokens, and the approximate KL (rho - 1) - log rho (Schulman's k3 of
     * pi_old against pi, as verl and TRL log it).
     */
    public record SurrogateStats(double tokens, double clippedTokens, double approxKlSum) {
        public static final SurrogateStats NONE = new SurrogateStats(0, 0, 0);

        static SurrogateStats of(float[] ratio, float[] clipped, float[] mask) {
            double n = 0;
            double c = 0;
            double kl = 0;
            for (int i = 0; i < mask.length; i++) {
                if (mask[i] > 0) {
                    n++;
                    c += clipped[i];
                    kl += (ratio[i] - 1) - Math.log(ratio[i]);
                }
            }
            return new SurrogateStats(n, c, kl);
        }

        public SurrogateStats plus(SurrogateStats o) {
            return new SurrogateStats(tokens + o.tokens, clippedTokens + o.clippedTokens, approxKlSum + o.approxKlSum);
        }

        public double clipFraction() {
            return tokens == 0 ? 0 : clippedTokens / tokens;
        }

        public double approxKl() {
            return tokens == 0 ? 0 : approxKlSum / tokens;
        }
    }

    /**
     * PPO/GRPO clipped surrogate with separate bounds (DAPO's clip-higher: epsHigh > epsLow):
     * loss_t = -min(rho_t A_t, clip(rho_t, 1 - epsLow, 1 + epsHigh) A_t), rho = exp(logp - oldLogp).
     * With the dual clip c > 1 (Ye et al. 2020), negative-advantage tokens are further bounded:
     * loss_t = min(loss_t, -c A_t), so a huge ratio cannot make one token dominate.
     */
    public static Surrogate clipped(
            NDArray logp, NDArray oldLogp, NDArray advantages, Clip clip, TensorConstants constants) {
        NDArray ratio = logp.sub(oldLogp).exp();
        NDArray unclipped = ratio.mul(advantages);
        NDArray clippedObjective =
                ratio.clip(1 - clip.epsLow(), 1 + clip.epsHigh()).mul(advantages);
        NDArray objective = NDArrays.minimum(unclipped, clippedObjective);
        NDArray loss = objective.neg();
        if (clip.dualClip() != 0) {
            NDArray bound = advantages.mul(constants.of(-clip.dualClip()));
            NDArray negative = advantages.lt(constants.of(0f));
            loss = NDArrays.where(negative, NDArrays.minimum(loss, bound), loss);
        }
        NDArray isClipped = clippedObjective.lt(unclipped).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
        return new Surrogate(loss, isClipped, ratio);
    }

    /**
     * Truncated importance sampling of the rollout/learner mismatch (TIS; Yao et al. 2025, adopted by
     * verl and OpenRLHF): per generated token w = min(pi_learner / pi_sampler, cap), from the
     * learner's log-probs (no gradient) and the sampler's; the per-token policy loss is multiplied
     * by w. Returns w for every column ({@code mask} 0: weight 1).
     */
    public static float[] truncatedImportanceWeights(
            float[] learnerLogp, float[] samplerLogp, float[] mask, double cap) {
        if (!(cap > 0)) {
            throw new IllegalArgumentException("the importance-sampling cap must be > 0, got " + cap);
        }
        float[] w = new float[mask.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = mask[i] > 0 ? (float) Math.min(Math.exp((double) learnerLogp[i] - samplerLogp[i]), cap) : 1f;
        }
        return w;
    }

    /**
     * PPO's clipped value loss per token: 0.5 max((V - R)^2, (V_old + clip(V - V_old, -c, c) - R)^2),
     * so the value head cannot move further than c from its rollout-time estimate in one update.
     */
    public static NDArray clippedValueLoss(
            NDArray values, NDArray oldValues, NDArray returns, float clip, TensorConstants constants) {
        NDArray unclipped = values.sub(returns).square();
        NDArray clipped = oldValues
                .add(values.sub(oldValues).clip(-clip, clip))
                .sub(returns)
                .square();
        return NDArrays.maximum(unclipped, clipped).mul(constants.of(0.5f));
    }

    /**
     * One number from (B, T) per-token values and a (B, T) 0/1 mask.
     *
     * @param normalizer the constant of {@link Aggregation#SEQUENCE_MEAN_TOKEN_SUM_NORM} (e.g. the
     *     maximum response length); ignored by the other modes
     */
    public static NDArray aggregate(
            NDArray perToken, NDArray mask, Aggregation mode, float normalizer, TensorConstants constants) {
        NDArray masked = perToken.mul(mask);
        return switch (mode) {
            case TOKEN_MEAN -> masked.sum().div(mask.sum().maximum(constants.of(1f)));
            case SEQUENCE_MEAN_TOKEN_MEAN ->
                masked.sum(new int[] {1})
                        .div(mask.sum(new int[] {1}).maximum(constants.of(1f)))
                        .mean();
            case SEQUENCE_MEAN_TOKEN_SUM_NORM -> {
                if (!(normalizer > 0)) {
                    throw new IllegalArgumentException("token-sum normalizer must be > 0, got " + normalizer);
                }
                yield masked.sum(new int[] {1})
                        .mul(constants.of(1f / normalizer))
                        .mean();
            }
        };
    }
}
