package dev.revise.rl.learn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.revise.rl.train.AdamW;
import dev.revise.rl.train.LearningRateSchedule;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A learner's AdamW and its place on the run's learning-rate schedule. The schedule is counted in
 * optimizer steps of the whole run: every step this optimizer takes, applied or not, moves it on
 * by one, so PPO's epochs x mini-batches and RISE's fine-tuning steps advance it as they happen.
 * An algorithm with one optimizer per stage (SCoRe) starts the later stage's at {@code
 * Config#scheduleOffset}, the steps of the stages before it, so the schedule is one curve.
 */
public final class PolicyOptimizer implements AutoCloseable {

    /**
     * @param schedule the learning rate of each optimizer step of the run
     * @param adamw the optimizer's settings
     * @param scheduleOffset optimizer steps of the run taken before this optimizer's first one
     */
    public record Config(LearningRateSchedule schedule, AdamW.Config adamw, long scheduleOffset) {
        public Config {
            if (scheduleOffset < 0) {
                throw new IllegalArgumentException("the schedule offset must be >= 0, got " + scheduleOffset);
            }
        }

        public Config(LearningRateSchedule schedule, AdamW.Config adamw) {
            this(schedule, adamw, 0);
        }

        public Config startingAt(long offset) {
            return new Config(schedule, adamw, offset);
        }
    }

    /** What one optimizer step did; {@code applied} false: non-finite gradients, nothing changed. */
    public record Step(double gradNorm, double learningRate, boolean applied) {}

    private final Config config;
    private final AdamW adamw;
    private long skipped;
    private long idle;

    public PolicyOptimizer(NDManager modelManager, Config config) {
        this.config = config;
        this.adamw = new AdamW(modelManager, config.adamw());
    }

    /** Steps taken: applied, skipped as non-finite, and idle (nothing to learn from). */
    public long steps() {
        return adamw.steps() + skipped + idle;
    }

    public long skippedSteps() {
        return skipped;
    }

    /** The learning rate the next step takes. */
    public double learningRate() {
        return config.schedule().at(config.scheduleOffset() + steps());
    }

    /** One AdamW step from the accumulated gradients of {@code parameters} at the schedule's rate. */
    public Step step(Map<String, NDArray> parameters) {
        double lr = learningRate();
        AdamW.StepResult r = adamw.step(parameters, lr);
        if (!r.applied()) {
            skipped++;
        }
        return new Step(r.gradNorm(), lr, r.applied());
    }

    /** A step with nothing to learn from (every group filtered, no targets): the schedule moves on. */
    public void idleStep() {
        idle++;
    }

    public Map<String, NDArray> stateTensors() {
        return adamw.stateTensors();
    }

    public Map<String, Long> counters() {
        Map<String, Long> out = new LinkedHashMap<>();
        out.put("applied_steps", adamw.steps());
        out.put("skipped_steps", skipped);
        out.put("idle_steps", idle);
        return out;
    }

    /** Restores what {@link #stateTensors()} and {@link #counters()} gave, for these parameters. */
    public void restore(Map<String, NDArray> tensors, Map<String, Long> counters, Map<String, NDArray> parameters) {
        long applied = LearnerState.counter(counters, "applied_steps");
        if (applied > 0) {
            adamw.loadState(tensors, applied, parameters);
        }
        skipped = LearnerState.counter(counters, "skipped_steps");
        // checkpoints before idle steps were counted apart held them in skipped_steps
        idle = counters.getOrDefault("idle_steps", 0L);
    }

    @Override
    public void close() {
        adamw.close();
    }
}
