package dev.revise.rl.learn;

/**
 * One supervised sequence.
 *
 * @param tokens the whole sequence (prompt and targets)
 * @param target per token, true where it is a target to learn (predicted from the ones before)
 * @param weight the example's weight in the loss (RISE: exp(r / tau)); must be finite and >= 0
 */
public record SftExample(int[] tokens, boolean[] target, double weight) {
    public SftExample {
        if (tokens.length != target.length) {
            throw new IllegalArgumentException(
                    "tokens and target mask differ in length: " + tokens.length + " vs " + target.length);
        }
        if (tokens.length < 2) {
            throw new IllegalArgumentException("an SFT example needs at least 2 tokens");
        }
        if (target[0]) {
            throw new IllegalArgumentException("the first token cannot be a target: nothing predicts it");
        }
        if (!(weight >= 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("example weight must be finite and >= 0, got " + weight);
        }
    }

    /** Targets = every token from {@code promptLength} on. */
    public static SftExample completion(int[] tokens, int promptLength, double weight) {
        boolean[] target = new boolean[tokens.length];
        for (int i = Math.max(1, promptLength); i < tokens.length; i++) {
            target[i] = true;
        }
        return new SftExample(tokens, target, weight);
    }
}
