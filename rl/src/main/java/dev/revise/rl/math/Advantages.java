package dev.revise.rl.math;

import java.util.List;

/**
 * Advantage estimators over scalar rewards. Pure functions on Java arrays; each documents its
 * formula. Groups are consecutive: samples [g*G, (g+1)*G) share a task.
 */
public final class Advantages {
    private Advantages() {}

    /**
     * GRPO: A_j = (r_j - mean_g) / (std_g + eps), or r_j - mean_g when {@code scaleByStd} is false
     * (Dr. GRPO). std is the sample standard deviation (n - 1), as torch.std in TRL and verl; a
     * group of one gets advantage 0.
     */
    public static double[] groupRelative(double[] rewards, int groupSize, boolean scaleByStd, double eps) {
        checkGroups(rewards.length, groupSize);
        double[] out = new double[rewards.length];
        for (int g = 0; g < rewards.length; g += groupSize) {
            double mean = mean(rewards, g, groupSize);
            double std =
                    groupSize > 1 ? Math.sqrt(sumSquaredDeviation(rewards, g, groupSize, mean) / (groupSize - 1)) : 0;
            for (int j = g; j < g + groupSize; j++) {
                double centered = groupSize > 1 ? rewards[j] - mean : 0;
                out[j] = scaleByStd ? scaled(centered, std, eps) : centered;
            }
        }
        return out;
    }

    /**
     * RLOO (Kool et al. 2019; Ahmadian et al. 2024): A_j = r_j - mean of the other G - 1 rewards of
     * the group = G / (G - 1) * (r_j - mean_g). Needs G >= 2.
     */
    public static double[] leaveOneOut(double[] rewards, int groupSize) {
        checkGroups(rewards.length, groupSize);
        if (groupSize < 2) {
            throw new IllegalArgumentException("leave-one-out needs groups of at least 2 samples, got " + groupSize);
        }
        double[] out = new double[rewards.length];
        for (int g = 0; g < rewards.length; g += groupSize) {
            double sum = 0;
            for (int j = g; j < g + groupSize; j++) {
                sum += rewards[j];
            }
            for (int j = g; j < g + groupSize; j++) {
                out[j] = rewards[j] - (sum - rewards[j]) / (groupSize - 1);
            }
        }
        return out;
    }

    /** REINFORCE with a batch-mean baseline: A_j = r_j - mean(r). */
    public static double[] batchMean(double[] rewards) {
        double mean = mean(rewards, 0, rewards.length);
        double[] out = new double[rewards.length];
        for (int j = 0; j < rewards.length; j++) {
            out[j] = rewards[j] - mean;
        }
        return out;
    }

    /** Per-turn returns: G_t = sum over k >= t of gamma^(k - t) r_k. */
    public static double[] discountedReturns(double[] turnRewards, double gamma) {
        double[] out = new double[turnRewards.length];
        double running = 0;
        for (int t = turnRewards.length - 1; t >= 0; t--) {
            running = turnRewards[t] + gamma * running;
            out[t] = running;
        }
        return out;
    }

    /**
     * Multi-turn group baselines: for each turn position k, the values of the group's samples that
     * reached turn k are made group-relative among themselves (episodes that stopped early, as with
     * an oracle, simply have fewer turns). {@code values[j][k]} is sample j's return (or reward) at
     * turn k; the result has the same ragged shape.
     */
    public static double[][] perTurnGroupRelative(double[][] values, int groupSize, boolean scaleByStd, double eps) {
        return perTurn(values, groupSize, column -> groupRelative(column, column.length, scaleByStd, eps));
    }

    /**
     * Multi-turn RLOO: for each turn position k, A = v - mean of the other samples of the group
     * that reached turn k (0 when a sample is alone at that turn).
     */
    public static double[][] perTurnLeaveOneOut(double[][] values, int groupSize) {
        return perTurn(
                values, groupSize, column -> column.length > 1 ? leaveOneOut(column, column.length) : new double[1]);
    }

    /** Applies a single-group estimator to every (group, turn) column of the samples that reached the turn. */
    private static double[][] perTurn(
            double[][] values, int groupSize, java.util.function.UnaryOperator<double[]> estimator) {
        checkGroups(values.length, groupSize);
        double[][] out = new double[values.length][];
        for (int j = 0; j < values.length; j++) {
            out[j] = new double[values[j].length];
        }
        for (int g = 0; g < values.length; g += groupSize) {
            int turns = 0;
            for (int j = g; j < g + groupSize; j++) {
                turns = Math.max(turns, values[j].length);
            }
            for (int k = 0; k < turns; k++) {
                int[] members = new int[groupSize];
                int n = 0;
                for (int j = g; j < g + groupSize; j++) {
                    if (k < values[j].length) {
                        members[n++] = j;
                    }
                }
                double[] column = new double[n];
                for (int i = 0; i < n; i++) {
                    column[i] = values[members[i]][k];
                }
                double[] result = estimator.apply(column);
                for (int i = 0; i < n; i++) {
                    out[members[i]][k] = result[i];
                }
            }
        }
        return out;
    }

    /** Token-level GAE (Schulman et al. 2016) for one sequence. */
    public record Gae(double[] advantages, double[] returns) {}

    /**
     * delta_t = r_t + gamma V_{t+1} - V_t (V_T = 0 after the last token); A_t = delta_t + gamma
     * lambda A_{t+1}; returns R_t = A_t + V_t (the value head's targets).
     */
    public static Gae gae(double[] rewards, double[] values, double gamma, double lambda) {
        if (rewards.length != values.length) {
            throw new IllegalArgumentException("GAE: " + rewards.length + " rewards but " + values.length + " values");
        }
        int n = rewards.length;
        double[] adv = new double[n];
        double[] ret = new double[n];
        double next = 0;
        double nextValue = 0;
        for (int t = n - 1; t >= 0; t--) {
            double delta = rewards[t] + gamma * nextValue - values[t];
            next = delta + gamma * lambda * next;
            adv[t] = next;
            ret[t] = next + values[t];
            nextValue = values[t];
        }
        return new Gae(adv, ret);
    }

    /** Mean and (population) std whitening, as PPO implementations apply to a batch of advantages. */
    public static double[] whiten(double[] values, double eps) {
        double mean = mean(values, 0, values.length);
        double var = sumSquaredDeviation(values, 0, values.length, mean) / values.length;
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (values[i] - mean) / Math.sqrt(var + eps);
        }
        return out;
    }

    /**
     * {@link #whiten} over the entries where {@code mask} is 1 (PPO's token advantages: the
     * generated tokens of a padded batch), in place; masked-out entries become 0. Fewer than two
     * entries are left as they are.
     */
    public static void whitenMasked(float[] values, float[] mask, double eps) {
        double n = 0;
        double sum = 0;
        for (int i = 0; i < values.length; i++) {
            n += mask[i];
            sum += mask[i] * values[i];
        }
        if (n < 2) {
            return;
        }
        double mean = sum / n;
        double var = 0;
        for (int i = 0; i < values.length; i++) {
            var += mask[i] * (values[i] - mean) * (values[i] - mean);
        }
        double std = Math.sqrt(var / n + eps);
        for (int i = 0; i < values.length; i++) {
            values[i] = mask[i] > 0 ? (float) ((values[i] - mean) / std) : 0f;
        }
    }

    /**
     * REINFORCE's baseline over ragged per-turn values: at each turn position k, the mean over every
     * sample of the batch that reached turn k is subtracted (in place).
     */
    public static void perTurnBatchMean(List<double[]> values) {
        int turns = values.stream().mapToInt(a -> a.length).max().orElse(0);
        for (int k = 0; k < turns; k++) {
            double sum = 0;
            int n = 0;
            for (double[] r : values) {
                if (k < r.length) {
                    sum += r[k];
                    n++;
                }
            }
            for (double[] r : values) {
                if (k < r.length) {
                    r[k] -= sum / n;
                }
            }
        }
    }

    /** Whether every reward of group g is the same (such groups carry no GRPO signal). */
    public static boolean[] zeroVarianceGroups(double[] rewards, int groupSize) {
        checkGroups(rewards.length, groupSize);
        boolean[] out = new boolean[rewards.length / groupSize];
        for (int g = 0; g < out.length; g++) {
            boolean same = true;
            for (int j = g * groupSize + 1; j < (g + 1) * groupSize; j++) {
                same &= rewards[j] == rewards[g * groupSize];
            }
            out[g] = same;
        }
        return out;
    }

    /**
     * Whether a multi-turn group carries no signal: at every turn position, the returns of the
     * samples that reached it are all equal ({@code returns[j][k]}: sample j's return at turn k,
     * ragged). A group (1, 0) / (0, 1) has equal totals but different turn-2 returns: it has signal.
     */
    public static boolean zeroVariancePerTurn(double[][] returns) {
        int turns = 0;
        for (double[] r : returns) {
            turns = Math.max(turns, r.length);
        }
        for (int k = 0; k < turns; k++) {
            Double first = null;
            for (double[] r : returns) {
                if (k < r.length) {
                    if (first == null) {
                        first = r[k];
                    } else if (r[k] != first) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /** centered / (std + eps), with an all-equal group giving exactly 0 even when eps is 0. */
    private static double scaled(double centered, double std, double eps) {
        return centered == 0 ? 0 : centered / (std + eps);
    }

    private static void checkGroups(int n, int groupSize) {
        if (groupSize < 1 || n % groupSize != 0) {
            throw new IllegalArgumentException(n + " samples do not split into groups of " + groupSize);
        }
    }

    private static double mean(double[] v, int from, int n) {
        double s = 0;
        for (int i = from; i < from + n; i++) {
            s += v[i];
        }
        return n == 0 ? 0 : s / n;
    }

    private static double sumSquaredDeviation(double[] v, int from, int n, double mean) {
        double s = 0;
        for (int i = from; i < from + n; i++) {
            s += (v[i] - mean) * (v[i] - mean);
        }
        return s;
    }
}
