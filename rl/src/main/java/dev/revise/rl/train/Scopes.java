package dev.revise.rl.train;

import ai.djl.ndarray.NDManager;

/**
 * Named native-memory lifetimes. A learner has three: the model's manager (parameters, optimizer
 * state), one scope per {@code update()} and one per micro-batch. Every array a step creates lives
 * in one of them, opened with try-with-resources so the lifetime is visible in the code:
 *
 * <pre>{@code
 * try (NDManager step = Scopes.step(policy.manager(), stepIndex)) {
 *     for (MicroBatch mb : ...) {
 *         try (NDManager micro = Scopes.microBatch(step, i)) { ... }
 *     }
 * }
 * }</pre>
 */
public final class Scopes {
    private Scopes() {}

    public static NDManager step(NDManager model, long step) {
        return named(model, "step-" + step);
    }

    public static NDManager microBatch(NDManager step, int index) {
        return named(step, "micro-" + index);
    }

    public static NDManager named(NDManager parent, String name) {
        NDManager sub = parent.newSubManager();
        sub.setName(name);
        return sub;
    }
}
