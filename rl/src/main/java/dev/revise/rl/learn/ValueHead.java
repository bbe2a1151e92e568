package dev.revise.rl.learn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PPO's critic: a linear map from the policy's final hidden states to a scalar value per
 * position, V(s_t) = w . h_t + b. Its parameters are named {@code value_head.weight} and {@code
 * value_head.bias} so they can be saved next to the policy's. Initialised to zero, so the first
 * values are 0 and the first advantages are the returns.
 */
public final class ValueHead implements AutoCloseable {
    private final NDManager manager;
    private final NDArray weight; // (1, D)
    private final NDArray bias; // (1)

    public ValueHead(NDManager parent, int hiddenSize) {
        this.manager = parent.newSubManager();
        this.manager.setName("value-head");
        this.weight = manager.zeros(new Shape(1, hiddenSize));
        this.bias = manager.zeros(new Shape(1));
        weight.setRequiresGradient(true);
        bias.setRequiresGradient(true);
    }

    /** (B, T, D) hidden states to (B, T) values, in the hidden states' scope. */
    public NDArray values(NDArray hidden) {
        // linear(x, W, b) = x W^T + b without a transposed copy of W on the long-lived manager
        return ai.djl.nn.core.Linear.linear(hidden, weight, bias)
                .singletonOrThrow()
                .squeeze(-1); // (B, T)
    }

    public Map<String, NDArray> parameters() {
        Map<String, NDArray> p = new LinkedHashMap<>();
        p.put("value_head.weight", weight);
        p.put("value_head.bias", bias);
        return p;
    }

    @Override
    public void close() {
        manager.close();
    }
}
