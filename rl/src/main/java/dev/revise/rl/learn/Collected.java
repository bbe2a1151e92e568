package dev.revise.rl.learn;

import dev.revise.rl.SamplingParams;
import dev.revise.rl.Task;
import dev.revise.rl.TaskSource;
import dev.revise.rl.rollout.Rollout;
import dev.revise.rl.rollout.RolloutRequest;
import dev.revise.rl.rollout.RolloutSource;
import java.util.ArrayList;
import java.util.List;

/** One update's rollouts: the next {@code tasks} tasks x {@code groupSize} samples, and how long they took. */
record Collected(List<Task> tasks, List<Rollout> rollouts, double seconds) {
    static Collected next(
            TaskSource source,
            RolloutSource rollouts,
            int tasks,
            int groupSize,
            long rootSeed,
            long step,
            SamplingParams sampling) {
        List<Task> batch = new ArrayList<>(tasks);
        for (int i = 0; i < tasks; i++) {
            batch.add(source.next());
        }
        long started = System.nanoTime();
        List<Rollout> out = rollouts.collect(new RolloutRequest(batch, groupSize, rootSeed, step, sampling));
        return new Collected(batch, out, (System.nanoTime() - started) / 1e9);
    }
}
