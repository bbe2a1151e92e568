package dev.revise.rl;

import java.util.List;

/**
 * No-grad batched sampling. Each row's result depends only on its prompt, its seed and the
 * sampling parameters, never on the other rows of the batch (up to float rounding).
 */
public interface Generator {
    List<Completion> generate(List<Prompt> prompts, SamplingParams params);

    /** Told after each decoding step of a {@link #generate} call, for progress displays. */
    @FunctionalInterface
    interface StepListener {
        /**
         * @param steps decoding steps done (the longest row's tokens so far)
         * @param sampledTokens tokens sampled so far over all rows
         * @param openRows rows that have not stopped yet
         */
        void onStep(int steps, long sampledTokens, int openRows);
    }

    /**
     * {@link #generate} with a listener told after each decoding step; the results are those of
     * {@link #generate}. Generators without steps to report just generate.
     */
    default List<Completion> generate(List<Prompt> prompts, SamplingParams params, StepListener listener) {
        return generate(prompts, params);
    }

    /**
     * A continuous-batching session of up to {@code slots} sequences decoding together, whose KV
     * cache outlives a call (see {@link DecodeSession}), or null when this generator has none:
     * callers then sample turn by turn with {@link #generate}.
     */
    default DecodeSession openSession(int slots, SamplingParams params) {
        return null;
    }
}
