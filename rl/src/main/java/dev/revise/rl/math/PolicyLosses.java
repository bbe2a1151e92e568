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
    public record Surrogate(NDArray loss, NDArray clipped, NDArray ratio) {}

    /**
     * PPO/GRPO clipped surrogate with separate bounds (DAPO's clip-higher: epsHigh > epsLow):
     * loss_t = -min(rho_t A_t, clip(rho_t, 1 - epsLow, 1 + epsHigh) A_t), rho = exp(logp - oldLogp).
     * With {@code dualClip} = c > 1 (Ye et al. 2020), negative-advantage tokens are further bounded:
     * loss_t = min(loss_t, -c A_t), so a huge ratio cannot make one token dominate; 0 disables.
     */
    public static Surrogate clipped(
            NDArray logp,
            NDArray oldLogp,
            NDArray advantages,
            float epsLow,
            float epsHigh,
            float dualClip,
            TensorConstants constants) {
        if (!(epsLow >= 0 && epsLow < 1 && epsHigh >= 0)) {
            throw new IllegalArgumentException(
                    "clip bounds must satisfy 0 <= epsLow < 1 and epsHigh >= 0, got " + epsLow + ", " + epsHigh);
        }
        if (dualClip != 0 && dualClip <= 1) {
            throw new IllegalArgumentException("dual clip c must be > 1 (0 disables), got " + dualClip);
        }
        NDArray ratio = logp.sub(oldLogp).exp();
        NDArray unclipped = ratio.mul(advantages);
        NDArray clippedObjective = ratio.clip(1 - epsLow, 1 + epsHigh).mul(advantages);
        NDArray objective = NDArrays.minimum(unclipped, clippedObjective);
        NDArray loss = objective.neg();
        if (dualClip != 0) {
            NDArray bound = advantages.mul(constants.of(-dualClip));
            NDArray negative = advantages.lt(constants.of(0f));
            loss = NDArrays.where(negative, NDArrays.minimum(loss, bound), loss);
        }
        NDArray isClipped = clippedObjective.lt(unclipped).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
        return new Surrogate(loss, isClipped, ratio);
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
