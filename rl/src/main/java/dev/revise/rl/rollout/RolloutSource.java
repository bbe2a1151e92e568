package dev.revise.rl.rollout;

import java.util.List;

/**
 * Where rollouts come from: local threads ({@link LocalRolloutSource}) or Ray actors (in
 * experiments). Same request and root seed, same rollouts, whatever the implementation or the
 * number of workers.
 */
public interface RolloutSource extends AutoCloseable {
    /** Rollouts for every (task, sample) of the request, in request order (task-major). */
    List<Rollout> collect(RolloutRequest request);

    /** What the last {@link #collect} cost besides sampling (e.g. {@code perf/weight_sync_s}); {@code perf/} keys. */
    default java.util.Map<String, Double> lastCollectMetrics() {
        return java.util.Map.of();
    }

    @Override
    void close();
}
