package dev.revise.policies.generation;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.revise.rl.SamplingParams;
import java.util.SplittableRandom;
import org.apache.commons.math3.stat.inference.ChiSquareTest;
import org.junit.jupiter.api.Test;

/** The Java sampler draws tokens with the given probabilities and never a truncated one. */
class TokenSamplerTest {
    static final float[] PROBS = {0.05f, 0.30f, 0.10f, 0.0f, 0.25f, 0.02f, 0.18f, 0.10f};

    private static long[] counts(SamplingParams params, int n, long seed) {
        long[] counts = new long[PROBS.length];
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            counts[TokenSampler.sample(PROBS, 0, PROBS.length, params, rng)]++;
        }
        return counts;
    }

    @Test
    void frequenciesMatchProbabilities() {
        long[] counts = counts(SamplingParams.sample(1), 20000, 1);
        assertTrue(counts[3] == 0, "a zero-probability token was drawn");
        double[] expected = new double[PROBS.length - 1];
        long[] observed = new long[PROBS.length - 1];
        for (int i = 0, j = 0; i < PROBS.length; i++) {
            if (i != 3) {
                expected[j] = PROBS[i];
                observed[j++] = counts[i];
            }
        }
        double p = new ChiSquareTest().chiSquareTest(expected, observed);
        assertTrue(p > 1e-3, "chi-square p = " + p);
    }

    @Test
    void topKKeepsOnlyTheKMostLikelyAndRenormalises() {
        long[] counts = counts(SamplingParams.sample(1).withTopK(3), 20000, 2);
        // top-3: ids 1 (0.30), 4 (0.25), 6 (0.18)
        for (int i = 0; i < counts.length; i++) {
            if (i != 1 && i != 4 && i != 6) {
                assertTrue(counts[i] == 0, "top-k emitted excluded token " + i);
            }
        }
        double p = new ChiSquareTest()
                .chiSquareTest(new double[] {0.30, 0.25, 0.18}, new long[] {counts[1], counts[4], counts[6]});
        assertTrue(p > 1e-3, "chi-square p = " + p);
    }

    @Test
    void topPKeepsTheSmallestNucleus() {
        // sorted: 0.30, 0.25, 0.18 (cumulative 0.73), 0.10 ... ; p = 0.7 keeps exactly the first three
        long[] counts = counts(SamplingParams.sample(1).withTopP(0.7), 20000, 3);
        for (int i = 0; i < counts.length; i++) {
            if (i != 1 && i != 4 && i != 6) {
                assertTrue(counts[i] == 0, "top-p emitted excluded token " + i);
            }
        }
        long[] both = counts(SamplingParams.sample(1).withTopP(0.7).withTopK(2), 5000, 4);
        assertTrue(both[6] == 0, "top-k 2 with top-p emitted the third token");
    }
}
