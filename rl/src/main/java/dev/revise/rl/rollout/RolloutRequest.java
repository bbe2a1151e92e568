package dev.revise.rl.rollout;

import dev.revise.rl.SamplingParams;
import dev.revise.rl.Task;
import java.util.List;

/**
 * One iteration's rollout work: every task is attempted {@code groupSize} times.
 *
 * @param tasks the tasks of this iteration
 * @param groupSize samples per task (G of GRPO/RLOO)
 * @param rootSeed the run's root seed
 * @param iteration the training iteration (part of every seed)
 * @param sampling how to sample each attempt (maxNewTokens is the per-turn budget)
 */
public record RolloutRequest(List<Task> tasks, int groupSize, long rootSeed, long iteration, SamplingParams sampling) {
    public RolloutRequest {
        tasks = List.copyOf(tasks);
        if (groupSize < 1) {
            throw new IllegalArgumentException("groupSize must be >= 1, got " + groupSize);
        }
    }
}
