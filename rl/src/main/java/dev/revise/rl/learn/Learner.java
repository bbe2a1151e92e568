package dev.revise.rl.learn;

import dev.revise.rl.rollout.Rollout;
import java.util.List;
import java.util.Map;

/** Turns a batch of rollouts into policy updates; owns its optimizer state. */
public interface Learner extends LearnerState, AutoCloseable {
    /** One update (possibly several optimizer steps); returns metrics named as in {@link MetricNames}. */
    Map<String, Double> update(List<Rollout> rollouts);

    /** Optimizer steps applied so far. */
    long steps();

    @Override
    void close();
}
