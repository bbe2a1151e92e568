package dev.revise.rl.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter, arXiv 1711.05101) with clipping by global gradient norm, through
 * DJL's fused native update (one op per parameter, which also zeroes the gradient).
 *
 * <pre>
 *   c   = min(1, maxGradNorm / ||g||)            global-norm clip, folded into the update
 *   w  -= lr * wd * w                            decoupled decay, matrices only (not norms, biases)
 *   m   = b1 m + (1 - b1) c g
 *   v   = b2 v + (1 - b2) (c g)^2
 *   w  -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
 * </pre>
 *
 * Deviation from torch.optim.AdamW: eps is added to sqrt(v) before bias correction (the fused op
 * takes one bias-corrected step size), i.e. an effective eps of eps * sqrt(1 - b2^t); the
 * difference is below float rounding once v is much larger than eps^2.
 *
 * <p>Moments live in this object's own manager, keyed by parameter name, so they can be saved
 * and restored with a checkpoint. A step whose gradient norm is not finite is skipped: gradients
 * are zeroed and nothing else changes.
 */
public final class AdamW implements AutoCloseable {

    /**
     * @param beta1 first-moment decay (0.9)
     * @param beta2 second-moment decay (0.999; 0.95 is common for LMs)
     * @param eps denominator guard (1e-8)
     * @param weightDecay decoupled weight decay of matrices (0.0)
     * @param maxGradNorm clip by global norm to this value; 0 disables
     */
    public record Config(double beta1, double beta2, double eps, double weightDecay, double maxGradNorm) {
        public Config {
            if (!(beta1 >= 0 && beta1 < 1)) {
                throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
            }
            if (!(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
            }
            if (!(eps > 0)) {
                throw new IllegalArgumentException("eps must be > 0, got " + eps);
            }
            if (!(weightDecay >= 0)) {
                throw new IllegalArgumentException("weightDecay must be >= 0, got " + weightDecay);
            }
            if (!(maxGradNorm >= 0)) {
                throw new IllegalArgumentException("maxGradNorm must be >= 0 (0 disables), got " + maxGradNorm);
            }
        }

        public static Config defaults() {
            return new Config(0.9, 0.999, 1e-8, 0.0, 1.0);
        }
    }

    /** What one call of {@link #step} did. */
    public record StepResult(double gradNorm, double clipFactor, double learningRate, boolean applied) {}

    private final Config config;
    private final NDManager stateManager;
    private final Map<String, NDArray> firstMoments = new LinkedHashMap<>();
    private final Map<String, NDArray> secondMoments = new LinkedHashMap<>();
    private long steps;

    public AdamW(NDManager modelManager, Config config) {
        this.config = config;
        this.stateManager = Scopes.named(modelManager, "adamw-state");
    }

    public Config config() {
        return config;
    }

    /** Number of applied steps so far (t in the bias correction). */
    public long steps() {
        return steps;
    }

    /** Applies one update from the accumulated gradients of {@code parameters}, then zeroes them. */
    public StepResult step(Map<String, NDArray> parameters, double learningRate) {
        Collection<NDArray> params = parameters.values();
        double norm = GradientNorms.globalNorm(params);
        if (!Double.isFinite(norm)) {
            GradientNorms.zero(params);
            return new StepResult(norm, 1.0, learningRate, false);
        }
        double clip = GradientNorms.clipFactor(norm, config.maxGradNorm());
        long t = steps + 1;
        double correction = Math.sqrt(1 - Math.pow(config.beta2(), t)) / (1 - Math.pow(config.beta1(), t));
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            NDArray w = e.getValue();
            NDArray m =
                    firstMoments.computeIfAbsent(e.getKey(), k -> stateManager.zeros(w.getShape(), w.getDataType()));
            NDArray v =
                    secondMoments.computeIfAbsent(e.getKey(), k -> stateManager.zeros(w.getShape(), w.getDataType()));
            double decay = w.getShape().dimension() >= 2 ? config.weightDecay() : 0.0;
            try (NDArray g = w.getGradient()) {
                w.getNDArrayInternal()
                        .adamUpdate(
                                new NDList(w, g, m, v),
                                new NDList(w),
                                (float) learningRate,
                                (float) (learningRate * correction),
                                (float) decay,
                                (float) clip,
                                -1f,
                                (float) config.beta1(),
                                (float) config.beta2(),
                                (float) config.eps(),
                                false,
                                true);
            }
        }
        steps = t;
        return new StepResult(norm, clip, learningRate, true);
    }

    /** Moments by name ({@code exp_avg.<param>}, {@code exp_avg_sq.<param>}), for checkpoints. */
    public Map<String, NDArray> stateTensors() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        firstMoments.forEach((k, v) -> out.put("exp_avg." + k, v));
        secondMoments.forEach((k, v) -> out.put("exp_avg_sq." + k, v));
        return out;
    }

    /**
     * Restores moments saved by {@link #stateTensors()} (copied into this optimizer's manager).
     *
     * @throws IllegalArgumentException naming the tensor if one is missing or has the wrong shape
     */
    public void loadState(Map<String, NDArray> state, long appliedSteps, Map<String, NDArray> parameters) {
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            for (String prefix : new String[] {"exp_avg.", "exp_avg_sq."}) {
                String key = prefix + e.getKey();
                NDArray saved = state.get(key);
                if (saved == null) {
                    throw new IllegalArgumentException("optimizer state has no tensor '" + key + "'");
                }
                if (!saved.getShape().equals(e.getValue().getShape())) {
                    throw new IllegalArgumentException(
                            "optimizer state tensor '" + key + "' has shape " + saved.getShape() + ", parameter has "
                                    + e.getValue().getShape());
                }
            }
        }
        clearMoments();
        for (String name : parameters.keySet()) {
            firstMoments.put(name, state.get("exp_avg." + name).duplicate());
            secondMoments.put(name, state.get("exp_avg_sq." + name).duplicate());
        }
        firstMoments.values().forEach(a -> a.attach(stateManager));
        secondMoments.values().forEach(a -> a.attach(stateManager));
        this.steps = appliedSteps;
    }

    @Override
    public void close() {
        clearMoments();
        stateManager.close();
    }

    private void clearMoments() {
        firstMoments.values().forEach(NDArray::close);
        secondMoments.values().forEach(NDArray::close);
        firstMoments.clear();
        secondMoments.clear();
    }
}
