package dev.revise.envs.synthetic;

import dev.revise.rl.Task;
import dev.revise.rl.TaskSource;

/**
 * An unbounded stream of training problems of a {@link TaskFamily} (held-out ones skipped).
 * Problem i depends only on (seed, i), so the cursor is just the stream position.
 */
public final class SyntheticTaskSource implements TaskSource {
    private final TaskFamily family;
    private final long seed;
    private long index;

    public SyntheticTaskSource(TaskFamily family, long seed) {
        this.family = family;
        this.seed = seed;
    }

    @Override
    public Task next() {
        while (true) {
            Task t = family.task(seed, index++);
            if (!family.isHeldOut(t.prompt())) {
                return t;
            }
        }
    }

    @Override
    public long size() {
        return -1;
    }

    @Override
    public TaskCursor cursor() {
        return new TaskCursor(0, index);
    }

    @Override
    public void restore(TaskCursor cursor) {
        this.index = cursor.index();
    }
}
