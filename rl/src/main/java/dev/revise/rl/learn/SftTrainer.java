package dev.revise.rl.learn;

import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;

/**
 * Supervised fine-tuning as a run: update s trains on {@code batches.apply(s)}. The batch of a
 * step must be a function of the step alone (derive its randomness from the run seed and s), which
 * is what makes a resumed run identical to an uninterrupted one.
 */
public final class SftTrainer extends CountedTrainer {
    private final long steps;
    private final LongFunction<List<SftExample>> batches;
    private final SftLearner learner;

    public SftTrainer(long steps, LongFunction<List<SftExample>> batches, SftLearner learner) {
        if (steps < 1) {
            throw new IllegalArgumentException("train.steps must be >= 1, got " + steps);
        }
        this.steps = steps;
        this.batches = batches;
        this.learner = learner;
    }

    @Override
    public long totalSteps() {
        return steps;
    }

    @Override
    protected Map<String, Double> update(long step) {
        Map<String, Double> stats = learner.update(batches.apply(step));
        return stats;
    }
}
