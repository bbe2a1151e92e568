package dev.revise.rl;

/**
 * One sampled continuation.
 *
 * @param text decoded text of the new tokens (cut before a stop string, if one matched)
 * @param tokenIds the sampled token ids, including a final stop token (arrays compare by reference)
 * @param logProbs log-probability of each sampled token under the sampling distribution's model
 *     at the sampling temperature, before top-k/top-p truncation: what the learners score with
 *     {@code ScoreOptions.atTemperature}
 * @param finishReason why sampling ended
 */
public record Completion(String text, int[] tokenIds, float[] logProbs, FinishReason finishReason) {
    public Completion {
        if (tokenIds.length != logProbs.length) {
            throw new IllegalArgumentException(
                    "tokenIds and logProbs differ in length: " + tokenIds.length + " vs " + logProbs.length);
        }
    }

    public int length() {
        return tokenIds.length;
    }
}
