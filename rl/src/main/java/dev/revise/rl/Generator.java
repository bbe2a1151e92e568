package dev.revise.rl;

import java.util.List;

/**
 * No-grad batched sampling. Each row's result depends only on its prompt, its seed and the
 * sampling parameters, never on the other rows of the batch (up to float rounding).
 */
public interface Generator {
    List<Completion> generate(List<Prompt> prompts, SamplingParams params);

    /**
     * A continuous-batching session of up to {@code slots} sequences decoding together, whose KV
     * cache outlives a call (see {@link DecodeSession}), or null when this generator has none:
     * callers then sample turn by turn with {@link #generate}.
     */
    default DecodeSession openSession(int slots, SamplingParams params) {
        return null;
    }
}
