package dev.revise.rl;

/**
 * Token sequences to score, possibly of different lengths (padded on the right internally).
 *
 * @param rows token ids per sequence (arrays compare by reference)
 */
public record TokenBatch(int[][] rows) {
    public TokenBatch {
        if (rows.length == 0) {
            throw new IllegalArgumentException("a token batch needs at least one row");
        }
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length < 2) {
                throw new IllegalArgumentException(
                        "row " + i + " has " + rows[i].length + " tokens; scoring needs at least 2");
            }
        }
    }

    public int size() {
        return rows.length;
    }

    public int maxLength() {
        int max = 0;
        for (int[] r : rows) {
            max = Math.max(max, r.length);
        }
        return max;
    }

    /** Total number of scored positions, that is the sum of (length - 1). */
    public long scoredTokens() {
        long n = 0;
        for (int[] r : rows) {
            n += r.length - 1;
        }
        return n;
    }
}
