package dev.revise.rl.train;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a batch of rows into micro-batches for gradient accumulation, and the loss weight of each
 * so that the accumulated gradient equals one backward over the whole batch.
 *
 * <p>Usage inside one {@code GradientCollector}: for each micro-batch, open {@link
 * Scopes#microBatch}, compute the micro-batch's mean loss, multiply by {@link Slice#weight()} (as a
 * tensor constant) and call {@code backward}; then one optimizer step.
 */
public final class MicroBatches {
    /** Rows [from, to) of the batch, and the fraction of the batch's loss they carry. */
    public record Slice(int index, int from, int to, double weight) {
        public int size() {
            return to - from;
        }
    }

    private MicroBatches() {}

    /** Consecutive slices of at most {@code maxRows} rows, weighted by their share of rows. */
    public static List<Slice> byRows(int rows, int maxRows) {
        if (rows < 1) {
            throw new IllegalArgumentException("a batch needs at least one row, got " + rows);
        }
        if (maxRows < 1) {
            throw new IllegalArgumentException("micro-batch size must be >= 1, got " + maxRows);
        }
        List<Slice> out = new ArrayList<>();
        for (int from = 0, i = 0; from < rows; from += maxRows, i++) {
            int to = Math.min(rows, from + maxRows);
            out.add(new Slice(i, from, to, (double) (to - from) / rows));
        }
        return out;
    }

    /**
     * Consecutive slices whose padded size (rows x longest row) stays within {@code maxTokens}
     * (a slice always holds at least one row), weighted by their share of {@code weights}' total:
     * pass per-row token counts for a token-mean loss, or ones for a sequence-mean loss.
     */
    public static List<Slice> byTokens(int[] lengths, double[] weights, long maxTokens) {
        if (lengths.length != weights.length) {
            throw new IllegalArgumentException(
                    "lengths and weights differ in size: " + lengths.length + " vs " + weights.length);
        }
        if (lengths.length == 0) {
            throw new IllegalArgumentException("a batch needs at least one row");
        }
        double total = 0;
        for (double w : weights) {
            total += w;
        }
        List<Slice> out = new ArrayList<>();
        int from = 0;
        while (from < lengths.length) {
            int to = from + 1;
            int longest = lengths[from];
            while (to < lengths.length && (long) Math.max(longest, lengths[to]) * (to - from + 1) <= maxTokens) {
                longest = Math.max(longest, lengths[to]);
                to++;
            }
            double w = 0;
            for (int i = from; i < to; i++) {
                w += weights[i];
            }
            out.add(new Slice(out.size(), from, to, total == 0 ? 0 : w / total));
            from = to;
        }
        return out;
    }
}
