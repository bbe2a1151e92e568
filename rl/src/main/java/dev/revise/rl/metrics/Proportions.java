package dev.revise.rl.metrics;

import org.apache.commons.math3.distribution.BinomialDistribution;
import org.apache.commons.math3.util.CombinatoricsUtils;

/** Confidence intervals and tests for proportions. */
public final class Proportions {
    private Proportions() {}

    /** z of a two-sided 95% interval. */
    public static final double Z95 = 1.959963984540054;

    /** Wilson score interval of {@code successes} out of {@code n} (95%); [0, 1] when n = 0. */
    public static double[] wilson(long successes, long n) {
        if (n == 0) {
            return new double[] {0, 1};
        }
        double p = (double) successes / n;
        double z2 = Z95 * Z95;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = Z95 * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / (1 + z2 / n);
        return new double[] {Math.max(0, centre - half), Math.min(1, centre + half)};
    }

    /**
     * 95% interval of a paired difference of proportions (turn 2 minus turn 1 on the same problems)
     * from the discordant counts b (wrong then right) and c (right then wrong) out of n pairs:
     * (b - c) / n +- z sqrt(b + c - (b - c)^2 / n) / n (the normal approximation of the paired design).
     */
    public static double[] pairedDifference(long b, long c, long n) {
        if (n == 0) {
            return new double[] {-1, 1};
        }
        double d = (double) (b - c) / n;
        double var = (b + c - (double) (b - c) * (b - c) / n) / ((double) n * n);
        double half = Z95 * Math.sqrt(Math.max(0, var));
        return new double[] {Math.max(-1, d - half), Math.min(1, d + half)};
    }

    /** Exact two-sided McNemar test on the discordant counts: 2 P(X <= min(b, c)), X ~ Bin(b + c, 1/2). */
    public static double mcnemarExact(long b, long c) {
        long n = b + c;
        if (n == 0) {
            return 1.0;
        }
        // The tail is summed from log-probabilities: commons-math's cumulativeProbability
        // underflows to exactly 0 for tails below ~1e-16 (443 vs 76 discordant pairs gave 0).
        BinomialDistribution bin = new BinomialDistribution(null, (int) n, 0.5);
        int m = (int) Math.min(b, c);
        double max = Double.NEGATIVE_INFINITY;
        double[] logs = new double[m + 1];
        for (int k = 0; k <= m; k++) {
            logs[k] = bin.logProbability(k);
            max = Math.max(max, logs[k]);
        }
        double sum = 0;
        for (double l : logs) {
            sum += Math.exp(l - max);
        }
        double p = 2 * Math.exp(max) * sum;
        return Math.min(1.0, p);
    }

    /** Unbiased pass@k from n samples of which c are correct: 1 - C(n - c, k) / C(n, k). */
    public static double passAtK(int n, int c, int k) {
        if (k > n) {
            throw new IllegalArgumentException("pass@" + k + " needs at least " + k + " samples, got " + n);
        }
        if (n - c < k) {
            return 1.0;
        }
        // ratio of binomials as a product, stable for large n
        double ratio = 1.0;
        for (int i = n - c + 1; i <= n; i++) {
            ratio *= 1.0 - (double) k / i;
        }
        return 1.0 - ratio;
    }

    /** C(n, k) as a double (for tests and small cases). */
    static double binomial(int n, int k) {
        return CombinatoricsUtils.binomialCoefficientDouble(n, k);
    }
}
