package dev.revise.rl.learn;

import dev.revise.rl.SamplingParams;
import dev.revise.rl.Task;
import dev.revise.rl.TaskSource;
import dev.revise.rl.rollout.Rollout;
import dev.revise.rl.rollout.RolloutRequest;
import dev.revise.rl.rollout.RolloutSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One update's rollouts: the next {@code tasks} tasks x {@code groupSize} samples, how long they
 * took, and the source's own {@code perf/} metrics of the collection (weight sync on Ray).
 */
record Collected(List<Task> tasks, List<Rollout> rollouts, double seconds, Map<String, Double> sourceMetrics) {
    static Collected next(
            TaskSource source,
            RolloutSource rollouts,
            int tasks,
            int groupSize,
            long rootSeed,
            long step,
            SamplingParams sampling) {
        return begin(source, rollouts, tasks, groupSize, rootSeed, step, sampling)
                .await();
    }

    /** As {@link #next}, begun with the weights of now and awaited later ({@code rollout.overlap}). */
    static Pending begin(
            TaskSource source,
            RolloutSource rollouts,
            int tasks,
            int groupSize,
            long rootSeed,
            long step,
            SamplingParams sampling) {
        List<Task> batch = new ArrayList<>(tasks);
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < tasks; i++) {
            batch.add(distinct(source.next(), seen));
        }
        long started = System.nanoTime();
        RolloutSource.InFlight inFlight =
                rollouts.begin(new RolloutRequest(batch, groupSize, rootSeed, step, sampling));
        return new Pending(batch, inFlight, started);
    }

    /** A batch being collected while the learner updates on the one before. */
    record Pending(List<Task> tasks, RolloutSource.InFlight inFlight, long startedNanos) {
        Collected await() {
            List<Rollout> out = inFlight.await();
            return new Collected(tasks, out, (System.nanoTime() - startedNanos) / 1e9, inFlight.metrics());
        }
    }

    /**
     * A task served again within one batch (a small dataset wrapping around) becomes its own group
     * with its own seeds: its id gets the occurrence, {@code id~2}. Group ids and rollout seeds derive
     * from the id, so the copies would otherwise merge into one group of identical samples.
     */
    static Task distinct(Task t, Map<String, Integer> seen) {
        int n = seen.merge(t.id(), 1, Integer::sum);
        return n == 1 ? t : new Task(t.id() + "~" + n, t.prompt(), t.answer(), t.metadata());
    }
}
