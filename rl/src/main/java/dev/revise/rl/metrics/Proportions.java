package dev.revise.rl.metrics;

import org.apache.commons.math3.distribution.BinomialDistribution;
import org.apache.commons.math3.distribution.TDistribution;
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
        return wilson((double) successes / n, (double) n, Z95);
    }

    /**
     * Wilson score interval of a proportion {@code p} at a (possibly fractional) sample size {@code
     * n} with the critical value {@code z} (two-sided 95%: {@link #Z95}, or a t quantile).
     */
    static double[] wilson(double p, double n, double z) {
        if (n <= 0) {
            return new double[] {0, 1};
        }
        double z2 = z * z;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = z * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / (1 + z2 / n);
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

    /**
     * 95% interval of a proportion measured on clusters of correlated trials (the samples of one
     * problem), with the problem as the unit of inference: y_j = {@code successes[j]} of m_j =
     * {@code sizes[j]} trials in cluster j, J clusters, n = sum m_j trials. The estimate is the
     * pooled p = sum y_j / n (with equal sizes: the mean of the per-problem proportions p_j); its
     * variance the between-cluster one, v = J / (J - 1) sum (y_j - p m_j)^2 / n^2 (with equal sizes:
     * s^2 / J, s the standard deviation of the J problem means, the squared standard error of their
     * mean). The interval is the Wilson score interval at the effective sample size n* = p (1 - p) /
     * v, at most n (the design-effect correction of Korn and Graubard 1998, who apply it to the
     * Clopper-Pearson interval), with the critical value t(J - 1, 0.975) for the J - 1 degrees of
     * freedom of v.
     *
     * <p>Repeating every trial S times leaves the interval unchanged (short of the cap), so S
     * identical samples of a problem count as one; with one trial per cluster n* = n - 1. When v =
     * 0: n* = J - 1 if p is 0 or 1 (the limit of identical samples), else n (every problem has the
     * same proportion). One cluster: [0, 1].
     */
    public static double[] clusteredWilson(long[] successes, long[] sizes) {
        checkClusters(successes, sizes);
        int clusters = sizes.length;
        long n = 0;
        long y = 0;
        for (int j = 0; j < clusters; j++) {
            n += sizes[j];
            y += successes[j];
        }
        if (clusters < 2 || n == 0) {
            return new double[] {0, 1};
        }
        double p = (double) y / n;
        double v = 0;
        for (int j = 0; j < clusters; j++) {
            double r = successes[j] - p * sizes[j];
            v += r * r;
        }
        v *= (double) clusters / (clusters - 1) / ((double) n * n);
        double effective;
        if (v <= 0) {
            effective = p == 0 || p == 1 ? clusters - 1 : n;
        } else {
            effective = Math.min(n, p * (1 - p) / v);
        }
        return wilson(p, effective, t95(clusters - 1));
    }

    /**
     * 95% interval of a paired difference (turn 2 minus turn 1) measured on clusters of correlated
     * pairs, with the problem as the unit: {@code differenceSums[j]} is the sum over cluster j's
     * {@code sizes[j]} pairs of c_t2 - c_t1 (each -1, 0 or 1). d = sum D_j / n +- t(J - 1, 0.975)
     * sqrt(v), v = J / (J - 1) sum (D_j - d m_j)^2 / n^2. With equal sizes this is the t interval on
     * the J per-problem mean differences d_j: mean(d_j) +- t(J - 1, 0.975) sd(d_j) / sqrt(J) (scipy:
     * {@code stats.t.interval(0.95, J - 1, loc=mean(d), scale=stats.sem(d))}). One cluster: [-1, 1].
     */
    public static double[] clusteredPairedDifference(long[] differenceSums, long[] sizes) {
        checkClusters(differenceSums, sizes);
        int clusters = sizes.length;
        long n = 0;
        long sum = 0;
        for (int j = 0; j < clusters; j++) {
            n += sizes[j];
            sum += differenceSums[j];
        }
        if (clusters < 2 || n == 0) {
            return new double[] {-1, 1};
        }
        double d = (double) sum / n;
        double v = 0;
        for (int j = 0; j < clusters; j++) {
            double r = differenceSums[j] - d * sizes[j];
            v += r * r;
        }
        v *= (double) clusters / (clusters - 1) / ((double) n * n);
        double half = t95(clusters - 1) * Math.sqrt(v);
        return new double[] {Math.max(-1, d - half), Math.min(1, d + half)};
    }

    /**
     * Exact two-sided sign test: {@code positive} units with a positive difference, {@code
     * negative} with a negative one, ties dropped: 2 P(X <= min), X ~ Bin(positive + negative, 1/2).
     * Exact McNemar is this test on single pairs; on problems with several samples it counts the
     * problems whose mean difference is positive or negative.
     */
    public static double signTest(long positive, long negative) {
        return mcnemarExact(positive, negative);
    }

    /** The 0.975 quantile of Student's t with {@code df} degrees of freedom. */
    static double t95(int df) {
        return new TDistribution(null, df).inverseCumulativeProbability(0.975);
    }

    private static void checkClusters(long[] values, long[] sizes) {
        if (values.length != sizes.length) {
            throw new IllegalArgumentException(
                    values.length + " cluster values for " + sizes.length + " cluster sizes");
        }
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
