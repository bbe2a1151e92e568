package dev.revise.rl.rollout;

import dev.revise.rl.Completion;
import dev.revise.rl.Task;

/**
 * Replaces an episode's attempt before the environment grades it and before it enters the next
 * turn's context: what evaluation's counterfactual probes ({@code revise eval --intervene}) put in
 * place of the policy's first attempt. Training never sets one.
 */
@FunctionalInterface
public interface AttemptOverride {
    /** Nothing replaced. */
    AttemptOverride NONE = (task, sample, turn, sampled) -> sampled;

    /**
     * The attempt that stands for {@code sampled}: attempt {@code turn} (0-based) of sample {@code
     * sample} of {@code task}. Return {@code sampled} to keep it. A replacement's token ids must be
     * the encoding of its text (plus the stop token the sampled one ended with), so the next
     * turn's context holds exactly that text.
     */
    Completion apply(Task task, int sample, int turn, Completion sampled);
}
