package dev.revise.rl.learn;

import java.util.Map;

/**
 * The bookkeeping every outer loop shares: the number of the next update, its restore from a
 * checkpoint, and the refusal to run past the end. A subclass writes one update as a function of its
 * number.
 */
public abstract class CountedTrainer implements Trainer {
    private long step;

    @Override
    public final long step() {
        return step;
    }

    @Override
    public final void restoreStep(long step) {
        if (step < 0 || step > totalSteps()) {
            throw new IllegalArgumentException(
                    "a checkpoint at update " + step + " does not belong to a run of " + totalSteps() + " updates");
        }
        this.step = step;
    }

    @Override
    public final Map<String, Double> trainStep() {
        if (done()) {
            throw new IllegalStateException("the run's " + totalSteps() + " updates are done");
        }
        Map<String, Double> stats = update(step);
        step++;
        return stats;
    }

    /** Update number {@code step}: every input derives from the run's seed, this number and the learner state. */
    protected abstract Map<String, Double> update(long step);
}
