package dev.revise.policies.generation;

import dev.revise.rl.SamplingParams;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Draws one token from a row of probabilities (already at the sampling temperature) with top-k
 * and top-p truncation. Exactly one uniform is drawn per call, so a row's stream of tokens depends
 * only on its own seed.
 */
final class TokenSampler {
    private TokenSampler() {}

    /** Index of the largest value (the first on ties). */
    static int argmax(float[] values, int offset, int length) {
        int best = 0;
        float bestValue = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < length; i++) {
            float v = values[offset + i];
            if (v > bestValue) {
                bestValue = v;
                best = i;
            }
        }
        return best;
    }

    static int sample(float[] probs, int offset, int vocab, SamplingParams params, SplittableRandom rng) {
        double u = rng.nextDouble();
        boolean truncate = (params.topK() > 0 && params.topK() < vocab) || params.topP() < 1.0;
        if (!truncate) {
            double total = 0;
            for (int i = 0; i < vocab; i++) {
                total += probs[offset + i];
            }
            double target = u * total;
            double cumulative = 0;
            int last = 0;
            for (int i = 0; i < vocab; i++) {
                float p = probs[offset + i];
                if (p > 0) {
                    cumulative += p;
                    last = i;
                    if (cumulative > target) {
                        return i;
                    }
                }
            }
            return last;
        }
        // Sort candidates by probability (descending, ties by id), keep top-k, then the top-p nucleus.
        long[] keyed = new long[vocab];
        for (int i = 0; i < vocab; i++) {
            // Non-negative float bits sort like the floats; invert for descending order.
            int bits = Float.floatToRawIntBits(Math.max(0f, probs[offset + i]));
            keyed[i] = ((long) (Integer.MAX_VALUE - bits) << 32) | i;
        }
        Arrays.sort(keyed);
        int keep = params.topK() > 0 ? Math.min(params.topK(), vocab) : vocab;
        double total = 0;
        for (int i = 0; i < keep; i++) {
            total += probs[offset + (int) keyed[i]];
        }
        if (params.topP() < 1.0) {
            double mass = 0;
            int n = 0;
            while (n < keep) {
                mass += probs[offset + (int) keyed[n]];
                n++;
                if (mass >= params.topP() * total) {
                    break;
                }
            }
            keep = n;
            total = mass;
        }
        double target = u * total;
        double cumulative = 0;
        for (int i = 0; i < keep; i++) {
            cumulative += probs[offset + (int) keyed[i]];
            if (cumulative > target) {
                return (int) keyed[i];
            }
        }
        return (int) keyed[keep - 1];
    }
}
