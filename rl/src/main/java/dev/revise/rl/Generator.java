package dev.revise.rl;

import java.util.List;

/**
 * No-grad batched sampling. Each row's result depends only on its prompt, its seed and the
 * sampling parameters, never on the other rows of the batch (up to float rounding).
 */
public interface Generator {
    List<Completion> generate(List<Prompt> prompts, SamplingParams params);
}
