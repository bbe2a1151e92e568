package dev.revise.rl.learn;

import dev.revise.rl.rollout.Rollout;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The reward metrics every RL learner reports: the mean, per turn, and per named component. */
final class RewardStats {
    private RewardStats() {}

    static void put(List<Rollout> rollouts, Map<String, Double> stats) {
        int turns = rollouts.stream().mapToInt(r -> r.trajectory().size()).max().orElse(0);
        double total = 0;
        for (Rollout r : rollouts) {
            total += r.rewards().total();
        }
        stats.put(MetricNames.REWARD_MEAN, total / Math.max(1, rollouts.size()));
        for (int t = 0; t < turns; t++) {
            double sum = 0;
            int n = 0;
            for (Rollout r : rollouts) {
                if (t < r.rewards().perTurn().length) {
                    sum += r.rewards().perTurn()[t];
                    n++;
                }
            }
            stats.put(MetricNames.perTurn(MetricNames.REWARD_TURN, t), sum / n);
        }
        Map<String, double[]> componentSums = new LinkedHashMap<>();
        for (Rollout r : rollouts) {
            r.rewards().components().forEach((name, v) -> {
                double[] acc = componentSums.computeIfAbsent(name, k -> new double[1]);
                for (double x : v) {
                    acc[0] += x;
                }
            });
        }
        componentSums.forEach((name, acc) -> stats.put(MetricNames.REWARD_COMPONENT + name, acc[0] / rollouts.size()));
    }
}
