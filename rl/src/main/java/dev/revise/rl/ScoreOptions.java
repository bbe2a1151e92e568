package dev.revise.rl;

/**
 * Which extra outputs a scoring pass should return besides token log-probs, and at which
 * temperature: log-probs, entropy and the full distribution are those of softmax(logits / T), the
 * distribution rollouts sampled from at temperature T (before top-k/top-p truncation), so the
 * learner's ratios compare like with like.
 */
public record ScoreOptions(boolean entropy, boolean hiddenStates, boolean fullLogProbs, double temperature) {
    public static final ScoreOptions LOGPROBS_ONLY = new ScoreOptions(false, false);
    public static final ScoreOptions WITH_ENTROPY = new ScoreOptions(true, false);
    /** The whole next-token distribution too (the exact KL; (B, T-1, V) floats: small vocabularies). */
    public static final ScoreOptions FULL_DISTRIBUTION = new ScoreOptions(false, false, true);

    public ScoreOptions {
        checkTemperature(temperature, "scoring temperature");
    }

    /** Throws unless {@code t} is a finite number > 0, naming {@code what}; returns t. */
    public static double checkTemperature(double t, String what) {
        if (!(t > 0) || Double.isInfinite(t)) {
            throw new IllegalArgumentException(what + " must be a finite number > 0, got " + t
                    + " (greedy rollouts, T = 0, have no distribution to score)");
        }
        return t;
    }

    public ScoreOptions(boolean entropy, boolean hiddenStates, boolean fullLogProbs) {
        this(entropy, hiddenStates, fullLogProbs, 1.0);
    }

    public ScoreOptions(boolean entropy, boolean hiddenStates) {
        this(entropy, hiddenStates, false);
    }

    public ScoreOptions withEntropy(boolean on) {
        return new ScoreOptions(on, hiddenStates, fullLogProbs, temperature);
    }

    /** The same outputs at sampling temperature {@code t} (greedy sampling, t = 0, scores at 1). */
    public ScoreOptions atTemperature(double t) {
        return new ScoreOptions(entropy, hiddenStates, fullLogProbs, t == 0 ? 1.0 : t);
    }
}
