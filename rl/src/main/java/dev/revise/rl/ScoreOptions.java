package dev.revise.rl;

/** Which extra outputs a scoring pass should return besides token log-probs. */
public record ScoreOptions(boolean entropy, boolean hiddenStates) {
    public static final ScoreOptions LOGPROBS_ONLY = new ScoreOptions(false, false);
    public static final ScoreOptions WITH_ENTROPY = new ScoreOptions(true, false);
}
