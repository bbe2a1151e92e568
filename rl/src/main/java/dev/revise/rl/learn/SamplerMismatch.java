package dev.revise.rl.learn;

import java.util.Map;

/**
 * The rollout/learner mismatch of one batch: |log pi_sampler - log pi_learner| over its generated
 * tokens (mean and max), and with truncated importance sampling the weights' mean and how often
 * the cap bit. The sampler may run in float16 or bfloat16 on a GPU, or top-p/top-k truncates its
 * distribution, while the learner scores the full float32 softmax.
 */
final class SamplerMismatch {
    double sum;
    double max;
    double tokens;
    double isSum;
    double capped;

    void add(float[] learner, float[] sampler, float[] mask) {
        for (int i = 0; i < mask.length; i++) {
            if (mask[i] > 0) {
                double d = Math.abs((double) sampler[i] - learner[i]);
                sum += d;
                max = Math.max(max, d);
                tokens++;
            }
        }
    }

    void addWeights(float[] learner, float[] sampler, float[] mask, double cap) {
        for (int i = 0; i < mask.length; i++) {
            if (mask[i] > 0) {
                double w = Math.exp((double) learner[i] - sampler[i]);
                isSum += Math.min(w, cap);
                capped += w > cap ? 1 : 0;
            }
        }
    }

    void put(Map<String, Double> stats, double cap) {
        stats.put(MetricNames.MISMATCH_LOGP_ABS_MEAN, tokens == 0 ? 0 : sum / tokens);
        stats.put(MetricNames.MISMATCH_LOGP_ABS_MAX, max);
        if (cap > 0) {
            stats.put(MetricNames.MISMATCH_IS_WEIGHT_MEAN, tokens == 0 ? 1 : isSum / tokens);
            stats.put(MetricNames.MISMATCH_IS_CAPPED_FRACTION, tokens == 0 ? 0 : capped / tokens);
        }
    }
}
