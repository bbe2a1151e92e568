package dev.revise.envs.synthetic;

import dev.revise.rl.Task;
import dev.revise.rl.TaskSource;

/**
 * An unbounded stream of training problems (held-out ones skipped). Problem i depends only on
 * (seed, i), so the cursor is just the stream position.
 */
public final class SyntheticTaskSource implements TaskSource {
    private final SyntheticArithmetic generator;
    private final long seed;
    private long index;

    public SyntheticTaskSource(SyntheticArithmetic generator, long seed) {
        this.generator = generator;
        this.seed = seed;
    }

    @Override
    public Task next() {
        while (true) {
            SyntheticArithmetic.Problem p = generator.problem(seed, index++);
            if (!generator.isHeldOut(p.question())) {
                return p.toTask();
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
