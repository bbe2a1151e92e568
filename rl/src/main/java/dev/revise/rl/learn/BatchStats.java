package dev.revise.rl.learn;

import dev.revise.rl.Trajectory;
import dev.revise.rl.metrics.SelfCorrectionMetrics;
import dev.revise.rl.rollout.Rollout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What every trainer logs about a collected batch: self-correction metrics and rollout speed. */
final class BatchStats {
    private BatchStats() {}

    static Map<String, Double> of(List<Rollout> collected, double rolloutSeconds) {
        Map<String, Double> stats = new LinkedHashMap<>();
        List<Trajectory> trajectories = new ArrayList<>(collected.size());
        long generated = 0;
        int turns = 1;
        long continuations = 0;
        long mismatches = 0;
        dev.revise.rl.PrefillStats prefill = dev.revise.rl.PrefillStats.NONE;
        for (Rollout r : collected) {
            prefill = prefill.plus(r.prefill());
            trajectories.add(r.trajectory());
            continuations += r.trajectory().size() - 1;
            mismatches += r.rerenderMismatches();
            turns = Math.max(turns, r.trajectory().size());
            for (int t = 0; t < r.trajectory().size(); t++) {
                generated += r.generatedTokens(t);
            }
        }
        SelfCorrectionMetrics.Report report = SelfCorrectionMetrics.of(trajectories, turns);
        for (int t = 0; t < turns; t++) {
            stats.put(MetricNames.perTurn(MetricNames.BATCH_ACC_TURN, t), report.accuracy()[t]);
        }
        if (turns >= 2) {
            stats.put(MetricNames.BATCH_DELTA, report.delta());
            stats.put(MetricNames.BATCH_I_TO_C, report.incorrectToCorrect());
            stats.put(MetricNames.BATCH_C_TO_I, report.correctToIncorrect());
        }
        if (continuations > 0) {
            stats.put(MetricNames.RERENDER_MISMATCH, (double) mismatches / continuations);
        }
        if (prefill.total() > 0) {
            stats.put(MetricNames.KV_REUSED_FRACTION, (double) (prefill.reused() + prefill.shared()) / prefill.total());
            stats.put(MetricNames.KV_FALLBACK_TURNS, (double) prefill.fallbacks());
        }
        stats.put(MetricNames.GENERATED_TOKENS, (double) generated);
        stats.put(MetricNames.ROLLOUT_TOKENS_PER_S, rolloutSeconds > 0 ? generated / rolloutSeconds : 0);
        return stats;
    }
}
