package dev.revise.rl;

/** Why sampling of one sequence ended. */
public enum FinishReason {
    /** A stop token id (for example end-of-sequence) was sampled; it is part of the completion. */
    STOP_TOKEN,
    /** A stop string appeared in the decoded text; the text is cut before it. */
    STOP_STRING,
    /** {@code maxNewTokens} were sampled, or the model's context is full. */
    LENGTH
}
