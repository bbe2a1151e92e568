package dev.revise.rl.math;

import ai.djl.ndarray.NDArray;
import dev.revise.rl.train.TensorConstants;

/**
 * Per-token estimators of KL(pi_theta || pi_ref) from sampled tokens (Schulman's k1/k2/k3) and
 * the exact full-vocabulary KL. With d = log pi_ref(y) - log pi_theta(y) for y ~ pi_theta:
 *
 * <ul>
 *   <li>k1 = -d: unbiased, high variance, can be negative (usual in the reward, PPO/RLOO style);
 *   <li>k2 = d^2 / 2: biased, low variance, non-negative;
 *   <li>k3 = exp(d) - d - 1: unbiased, low variance, non-negative (usual in the loss, GRPO); d is
 *       clamped to [-10, 10] so exp cannot overflow;
 *   <li>exact = sum_v pi(v) (log pi(v) - log pi_ref(v)) over the vocabulary, no sampling noise.
 * </ul>
 */
public final class KlEstimators {
    /** The clamp of d in k3. */
    public static final float K3_CLAMP = 10f;

    private KlEstimators() {}

    public enum Estimator {
        K1,
        K2,
        K3,
        /** the full-vocabulary KL ({@link #exact}): needs both models' whole distributions */
        EXACT
    }

    /** (B, T) per-token estimate from the sampled tokens' log-probs under both models. */
    public static NDArray perToken(NDArray logp, NDArray refLogp, Estimator estimator, TensorConstants constants) {
        NDArray d = refLogp.sub(logp);
        return switch (estimator) {
            case K1 -> d.neg();
            case K2 -> d.square().mul(constants.of(0.5f));
            case K3 -> {
                NDArray c = d.clip(-K3_CLAMP, K3_CLAMP);
                yield c.exp().sub(c).sub(constants.of(1f));
            }
            case EXACT -> throw new IllegalArgumentException("the exact KL needs full distributions: use exact()");
        };
    }

    /** (B, T) exact KL from (B, T, V) full log-probabilities of both models. */
    public static NDArray exact(NDArray logpFull, NDArray refLogpFull) {
        return logpFull.exp().mul(logpFull.sub(refLogpFull)).sum(new int[] {-1});
    }
}
