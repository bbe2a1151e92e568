package dev.revise.rl;

/** Which extra outputs a scoring pass should return besides token log-probs. */
public record ScoreOptions(boolean entropy, boolean hiddenStates, boolean fullLogProbs) {
    public static final ScoreOptions LOGPROBS_ONLY = new ScoreOptions(false, false);
    public static final ScoreOptions WITH_ENTROPY = new ScoreOptions(true, false);
    /** The whole next-token distribution too (the exact KL; (B, T-1, V) floats: small vocabularies). */
    public static final ScoreOptions FULL_DISTRIBUTION = new ScoreOptions(false, false, true);

    public ScoreOptions(boolean entropy, boolean hiddenStates) {
        this(entropy, hiddenStates, false);
    }

    public ScoreOptions withEntropy(boolean on) {
        return new ScoreOptions(on, hiddenStates, fullLogProbs);
    }
}
