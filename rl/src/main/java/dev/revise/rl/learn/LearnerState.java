package dev.revise.rl.learn;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * What a checkpoint keeps of a learner so that a resumed run continues bit-identically: its
 * tensors (optimizer moments, a value head) by name and its counters (applied and skipped steps).
 */
public interface LearnerState {
    /** Live views of the learner's tensors; the caller copies them out and must not close them. */
    Map<String, NDArray> stateTensors();

    Map<String, Long> counters();

    /**
     * Restores what {@link #stateTensors()} and {@link #counters()} gave for a learner of the same
     * configuration over a policy of the same architecture.
     *
     * @throws IllegalArgumentException naming the tensor or counter that is missing or misshapen
     */
    void restoreState(Map<String, NDArray> tensors, Map<String, Long> counters);

    /** A counter that must be present in a saved state. */
    static long counter(Map<String, Long> counters, String name) {
        Long v = counters.get(name);
        if (v == null) {
            throw new IllegalArgumentException("learner state has no counter '" + name + "'");
        }
        return v;
    }
}
