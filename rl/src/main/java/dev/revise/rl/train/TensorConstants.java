package dev.revise.rl.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.HashMap;
import java.util.Map;

/**
 * Scalar tensors that live as long as the manager they were made on.
 *
 * <p>Why: inside a {@code GradientCollector}, DJL's {@code NDArray.mul/div/pow(Number)} wraps the
 * scalar in a tensor over a direct buffer that can be freed before {@code backward()}, which
 * corrupts gradients at random (docs/platform.md pitfall 1). Losses multiply by constants from here
 * instead: {@code x.mul(constants.of(0.5f))}. Not thread-safe: one instance per model or learner.
 */
public final class TensorConstants implements AutoCloseable {
    private final NDManager manager;
    private final Map<Float, NDArray> scalars = new HashMap<>();

    public TensorConstants(NDManager parent) {
        this.manager = parent.newSubManager();
        this.manager.setName("tensor-constants");
    }

    /**
     * A float32 scalar tensor holding {@code value}; the same instance for the same value. Cached
     * for the object's lifetime: use it for configuration constants (a bounded set of values), and
     * {@link #scoped} for values that change every step.
     */
    public NDArray of(float value) {
        return scalars.computeIfAbsent(
                value, v -> manager.create(new float[] {v}).reshape().toType(DataType.FLOAT32, false));
    }

    /**
     * A float32 scalar owned by {@code scope} (a step or micro-batch): it lives until the scope
     * closes, so past the {@code backward()} of that scope, which is all autograd needs.
     */
    public static NDArray scoped(NDManager scope, float value) {
        return scope.create(new float[] {value}).reshape();
    }

    /** A float32 tensor of the given values with the given shape, owned by this object. */
    public NDArray array(float[] values, long... shape) {
        return manager.create(values, new ai.djl.ndarray.types.Shape(shape));
    }

    @Override
    public void close() {
        scalars.clear();
        manager.close();
    }
}
