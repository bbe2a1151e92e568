package dev.revise.rl.learn;

import java.util.Map;

/**
 * An algorithm's outer loop (collect, score, update) as a run driver sees it: one call of {@link
 * #trainStep()} is one update. Every input of step s is a function of the run's seed, s, the task
 * cursor and the learner state, so a run restored to step s continues exactly.
 */
public interface Trainer {
    /** Updates done so far (the number of the next update). */
    long step();

    /** Updates of the whole run. */
    long totalSteps();

    /** Continues from a checkpoint: the next update is number {@code step}. */
    void restoreStep(long step);

    /** One update; returns its metrics. */
    Map<String, Double> trainStep();

    /** The stage of the next update (SCoRe's 1 or 2; 1 for single-stage algorithms). */
    default int stage() {
        return 1;
    }

    /**
     * With {@code rollout.overlap: 1}, the next update's batch (awaited if still in flight), for a
     * checkpoint; null without overlap or at the end of the run.
     */
    default PrefetchedBatch prefetched() {
        return null;
    }

    /** Continues from a checkpoint that kept the next update's batch ({@link #prefetched}). */
    default void restorePrefetched(PrefetchedBatch batch) {
        throw new IllegalStateException("this algorithm does not overlap rollouts with updates");
    }

    default boolean done() {
        return step() >= totalSteps();
    }
}
