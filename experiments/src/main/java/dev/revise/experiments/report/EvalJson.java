package dev.revise.experiments.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.revise.rl.Trajectory;
import dev.revise.rl.metrics.SelfCorrectionMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a self-correction report as {@code eval.json} (the fields of the eval contract). The
 * intervals ({@code accuracy_ci}, {@code delta_ci}, ...) and {@code mcnemar_p} are computed over
 * episodes when every problem has one ({@code "inference_unit": "episode"}: Wilson, the paired
 * normal interval, exact McNemar) and over the {@code n_clusters} problems when some problem has
 * several samples ({@code "inference_unit": "problem"}); {@code interval_method}, {@code
 * delta_interval_method} and {@code paired_test} name the methods (see {@link
 * SelfCorrectionMetrics.Inference}).
 */
public final class EvalJson {
    private EvalJson() {}

    public static Path write(SelfCorrectionMetrics.Report r, String feedback, int samplesPerProblem, Path dir)
            throws IOException {
        return write(r, feedback, samplesPerProblem, Map.of(), dir);
    }

    /** The report's fields, then {@code extra} (e.g. RISE's p1@tK, m1@tK, the parallel baseline, pass@k). */
    public static Path write(
            SelfCorrectionMetrics.Report r, String feedback, int samplesPerProblem, Map<String, Object> extra, Path dir)
            throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("turns", r.turns());
        m.put("n_problems", r.problems());
        m.put("samples_per_problem", samplesPerProblem);
        m.put("feedback", feedback);
        // how the intervals and the turn-1 vs turn-2 test treat several samples of one problem
        SelfCorrectionMetrics.Inference inference = r.inference();
        m.put("inference_unit", inference.unit());
        m.put("n_clusters", inference.clusters());
        m.put("interval_method", inference.intervalMethod());
        m.put("delta_interval_method", inference.deltaIntervalMethod());
        m.put("paired_test", inference.pairedTest());
        m.put("accuracy", r.accuracy());
        m.put("accuracy_ci", r.accuracyCi());
        m.put("delta", r.delta());
        m.put("delta_ci", r.deltaCi());
        m.put("delta_i_to_c", r.incorrectToCorrect());
        m.put("delta_c_to_i", r.correctToIncorrect());
        m.put("delta_i_to_c_ci", r.incorrectToCorrectCi());
        m.put("delta_c_to_i_ci", r.correctToIncorrectCi());
        m.put("transitions", r.transitions());
        m.put("mcnemar_p", r.mcnemarP());
        m.put("confidence", nullIfNaN(r.confidence()));
        m.put("critique", nullIfNaN(r.critique()));
        m.put("edit_ratio", r.editRatio());
        m.put("changed_answer", r.changedAnswer());
        m.put("majority_over_turns", r.majorityOverTurns());
        m.put("any_correct", r.anyCorrect());
        m.putAll(extra);
        Files.createDirectories(dir);
        Path file = dir.resolve("eval.json");
        Path tmp = dir.resolve("eval.json.tmp");
        Files.writeString(
                tmp,
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m) + "\n");
        Files.move(
                tmp,
                file,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return file;
    }

    /**
     * Per-episode outcomes in task order (correct at each turn, a stopped episode keeping its last
     * verdict; whether the majority answer over its turns is correct, m1@tK), so two runs evaluated on the same problems can be compared problem by problem.
     */
    public static Map<String, Object> perEpisode(List<Trajectory> episodes) {
        List<String> ids = new ArrayList<>();
        List<int[]> correct = new ArrayList<>();
        List<Integer> majority = new ArrayList<>();
        int turns = episodes.stream().mapToInt(Trajectory::size).max().orElse(0);
        for (Trajectory t : episodes) {
            ids.add(t.taskId());
            int[] c = new int[turns];
            for (int k = 0; k < turns; k++) {
                c[k] = t.turn(Math.min(k, t.size() - 1)).verdict().correct() ? 1 : 0;
            }
            correct.add(c);
            majority.add(SelfCorrectionMetrics.majorityCorrect(t) ? 1 : 0);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("task_ids", ids);
        m.put("correct", correct);
        m.put("m1_at_tK", majority);
        return Map.of("per_episode", m);
    }

    private static Double nullIfNaN(double v) {
        return Double.isNaN(v) ? null : v;
    }
}
