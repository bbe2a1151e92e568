package dev.revise.rl.learn;

import dev.revise.rl.Task;
import dev.revise.rl.rollout.Rollout;
import java.util.List;
import java.util.Map;

/**
 * The next update's batch, collected during the last update with the weights before it ({@code
 * rollout.overlap: 1}): a checkpoint keeps it, since the weights it was sampled with are gone, so
 * that a resumed run trains on exactly the batch the uninterrupted run would have.
 *
 * @param step the update that trains on it
 * @param tasks its tasks (the task cursor is already past them)
 * @param rollouts its rollouts, in request order
 * @param seconds the collection's wall time
 * @param sourceMetrics the source's {@code perf/} metrics of the collection
 */
public record PrefetchedBatch(
        long step, List<Task> tasks, List<Rollout> rollouts, double seconds, Map<String, Double> sourceMetrics) {}
