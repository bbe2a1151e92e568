package dev.revise.rl;

/**
 * Deterministic, seeded, resumable iteration over one split's tasks. Passes over a finite
 * dataset repeat in a new seeded order per epoch; {@link #cursor()} and {@link #restore} let a
 * checkpoint continue exactly where it stopped.
 */
public interface TaskSource {
    /** The next task (sources cycle through epochs; a finite source never runs dry). */
    Task next();

    /** Number of distinct tasks in one pass, or -1 if unbounded (procedural sources). */
    long size();

    /** Where the iteration is. */
    TaskCursor cursor();

    /** Continues from a cursor produced by {@link #cursor()} of a source with the same config. */
    void restore(TaskCursor cursor);

    /**
     * A position in a task source.
     *
     * @param epoch completed passes over the data
     * @param index position within the current pass
     */
    record TaskCursor(long epoch, long index) {
        public TaskCursor {
            if (epoch < 0 || index < 0) {
                throw new IllegalArgumentException(
                        "task cursor must be non-negative, got epoch " + epoch + ", index " + index);
            }
        }
    }
}
