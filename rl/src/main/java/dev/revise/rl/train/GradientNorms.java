package dev.revise.rl.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Collection;

/** Global gradient norm and zeroing, with every temporary closed at once (docs/platform.md pitfalls 3 and 4). */
public final class GradientNorms {
    private GradientNorms() {}

    /** sqrt(sum over parameters of ||grad||^2); NaN or infinity if any gradient is non-finite. */
    public static double globalNorm(Collection<NDArray> parameters) {
        double sumSquares = 0;
        for (NDArray p : parameters) {
            try (NDArray g = p.getGradient();
                    NDArray n = g.norm()) {
                double v = n.getFloat();
                sumSquares += v * v;
            }
        }
        return Math.sqrt(sumSquares);
    }

    /**
     * The factor that scales gradients of norm {@code norm} to at most {@code maxNorm} (clip by
     * global norm, as torch.nn.utils.clip_grad_norm_); 1 when {@code maxNorm <= 0}.
     */
    public static double clipFactor(double norm, double maxNorm) {
        if (maxNorm <= 0 || norm <= maxNorm) {
            return 1.0;
        }
        return maxNorm / (norm + 1e-6);
    }

    /** Sets every gradient to zero in place; works for NaN gradients too (0 * NaN would not). */
    public static void zero(Collection<NDArray> parameters) {
        for (NDArray p : parameters) {
            // The scalar lives in its own scope: set(index, Number) would create it on the
            // gradient's manager, the model's, and leak one array per parameter per call.
            try (NDArray g = p.getGradient();
                    NDManager scope = g.getManager().newSubManager()) {
                g.set(new NDIndex("..."), scope.zeros(new Shape()));
            }
        }
    }
}
