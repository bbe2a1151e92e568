package dev.revise.envs.synthetic;

import dev.revise.rl.Task;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A procedurally generated task family: problem i of a seeded stream depends only on (seed, i),
 * and a fixed share of the problem space (chosen by a hash of the prompt) is held out for
 * evaluation, so a training stream never yields an evaluation problem.
 */
public interface TaskFamily {
    /** The i-th problem of the stream seeded with {@code seed} (independent of every other i). */
    Task task(long seed, long i);

    /** Whether the problem {@code prompt} belongs to the held-out split. */
    boolean isHeldOut(String prompt);

    /** Percentage of the problem space held out (0..50). */
    int heldOutPercent();

    /** The config section of the family's knobs, for messages (e.g. {@code task.synthetic}). */
    String configSection();

    /** The first {@code n} distinct held-out problems of the stream seeded with {@code seed}. */
    default List<Task> heldOutTasks(long seed, int n) {
        if (heldOutPercent() == 0) {
            throw new IllegalArgumentException(configSection() + ".held_out_percent is 0: there is no held-out split");
        }
        Set<String> seen = new LinkedHashSet<>();
        List<Task> tasks = new ArrayList<>();
        for (long i = 0; tasks.size() < n; i++) {
            if (i > 1000L * n + 100_000) {
                throw new IllegalArgumentException(
                        "the held-out split of " + configSection() + " has fewer than " + n + " distinct problems");
            }
            Task t = task(seed ^ 0x5DEECE66DL, i);
            if (isHeldOut(t.prompt()) && seen.add(t.prompt())) {
                tasks.add(t);
            }
        }
        return tasks;
    }
}
