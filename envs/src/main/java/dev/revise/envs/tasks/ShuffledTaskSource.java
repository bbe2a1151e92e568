package dev.revise.envs.tasks;

import dev.revise.rl.Task;
import dev.revise.rl.TaskSource;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A finite list of tasks served in a seeded random order that changes every epoch. The order of
 * epoch e is a Fisher-Yates shuffle driven by {@code SplittableRandom(seed + e * golden)}, so a
 * cursor (epoch, index) fully determines what comes next: no hidden state to checkpoint.
 */
public final class ShuffledTaskSource implements TaskSource {
    private final List<Task> tasks;
    private final long seed;
    private final boolean shuffle;
    private long epoch;
    private int index;
    private int[] order;

    /**
     * @param tasks the tasks of one split (at least one)
     * @param seed the root seed of the order
     * @param shuffle false serves the tasks in file order every epoch (evaluation)
     */
    public ShuffledTaskSource(List<Task> tasks, long seed, boolean shuffle) {
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException("a task source needs at least one task");
        }
        this.tasks = List.copyOf(tasks);
        this.seed = seed;
        this.shuffle = shuffle;
        this.order = orderOf(0);
    }

    private int[] orderOf(long e) {
        int n = tasks.size();
        int[] o = new int[n];
        for (int i = 0; i < n; i++) {
            o[i] = i;
        }
        if (shuffle) {
            SplittableRandom rng = new SplittableRandom(seed + e * 0x9E3779B97F4A7C15L);
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = o[i];
                o[i] = o[j];
                o[j] = t;
            }
        }
        return o;
    }

    @Override
    public Task next() {
        if (index == tasks.size()) {
            epoch++;
            index = 0;
            order = orderOf(epoch);
        }
        return tasks.get(order[index++]);
    }

    @Override
    public long size() {
        return tasks.size();
    }

    /** All tasks in file order (for evaluation over a whole split). */
    public List<Task> all() {
        return tasks;
    }

    @Override
    public TaskCursor cursor() {
        return new TaskCursor(epoch, index);
    }

    @Override
    public void restore(TaskCursor cursor) {
        if (cursor.index() > tasks.size()) {
            throw new IllegalArgumentException(
                    "task cursor index " + cursor.index() + " exceeds the source's " + tasks.size() + " tasks");
        }
        this.epoch = cursor.epoch();
        this.index = (int) cursor.index();
        this.order = orderOf(epoch);
    }
}
