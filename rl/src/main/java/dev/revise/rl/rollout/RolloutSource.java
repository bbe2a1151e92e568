package dev.revise.rl.rollout;

import java.util.List;
import java.util.Map;

/**
 * Where rollouts come from: local threads ({@link LocalRolloutSource}) or Ray actors (in
 * experiments). Same request and root seed, same rollouts, whatever the implementation or the
 * number of workers.
 */
public interface RolloutSource extends AutoCloseable {
    /** Rollouts for every (task, sample) of the request, in request order (task-major). */
    List<Rollout> collect(RolloutRequest request);

    /**
     * Starts collecting {@code request} with the policy's weights as they are now, and returns
     * what to await for its rollouts, so that the learner may update meanwhile (one step off
     * policy: {@code rollout.overlap}). The weights the collection samples with are fixed before
     * this returns. Default: collects at once (correct, without the overlap's gain), for sources
     * whose workers share the learner's weights.
     */
    default InFlight begin(RolloutRequest request) {
        List<Rollout> done = collect(request);
        Map<String, Double> metrics = lastCollectMetrics();
        return new InFlight() {
            @Override
            public List<Rollout> await() {
                return done;
            }

            @Override
            public Map<String, Double> metrics() {
                return metrics;
            }
        };
    }

    /** A collection begun by {@link #begin}. */
    interface InFlight {
        /** Blocks until the rollouts are in (retrying failed workers as {@link #collect} does). */
        List<Rollout> await();

        /** The source's {@code perf/} metrics of this collection (valid after {@link #await}). */
        Map<String, Double> metrics();
    }

    /** What the last {@link #collect} cost besides sampling (e.g. {@code perf/weight_sync_s}); {@code perf/} keys. */
    default java.util.Map<String, Double> lastCollectMetrics() {
        return java.util.Map.of();
    }

    @Override
    void close();
}
