package dev.revise.rl;

import ai.djl.ndarray.NDArray;

/**
 * Per-token outputs of one forward pass over a {@link TokenBatch}, living in the scope the caller
 * passed. Column j of a row scores token j + 1 given tokens 0..j; columns past a row's length are
 * padding and must be masked by the caller ({@link #mask()}).
 *
 * @param logProbs (B, T-1) log p(t_{j+1} | t_{<=j})
 * @param mask (B, T-1) 1 where the column is a real token of the row, else 0
 * @param entropy (B, T-1) entropy of the next-token distribution, or null if not requested
 * @param hidden (B, T, D) final hidden states after the last norm, or null if not requested
 * @param fullLogProbs (B, T-1, V) log-probabilities of every vocabulary entry, or null if not requested
 */
public record TokenScores(NDArray logProbs, NDArray mask, NDArray entropy, NDArray hidden, NDArray fullLogProbs) {
    public TokenScores(NDArray logProbs, NDArray mask, NDArray entropy, NDArray hidden) {
        this(logProbs, mask, entropy, hidden, null);
    }
}
