package dev.revise.experiments.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.experiments.config.ConfigTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code correction_sft.samples_from: base} trains on the frozen initial policy's samples (SCoRe's
 * offline baselines): its rollouts are the same step for step whatever the learning rate, while
 * the weights it trains differ; sampling from the trained policy makes the rollouts follow training.
 */
class CorrectionSftSamplesTest {
    @TempDir
    Path dir;

    @Test
    void baseSamplesDoNotFollowTraining() throws Exception {
        Path fast = run("offline-fast", "base", 0.01);
        Path slow = run("offline-slow", "base", 1e-5);
        List<Map<String, Double>> offlineBatches = batchMetrics(fast);
        assertThat(offlineBatches).hasSize(4).isEqualTo(batchMetrics(slow));
        assertThat(batchMetrics(run("online-fast", "policy", 0.01)))
                .as("online rollouts follow the trained policy")
                .isNotEqualTo(batchMetrics(run("online-slow", "policy", 1e-5)));
        assertThat(offlineBatches.stream()
                        .mapToDouble(m -> m.get("sft/examples"))
                        .sum())
                .as("the base yields correction examples")
                .isGreaterThan(0);

        Path weights = Path.of("checkpoints", "step-000004", "model.safetensors");
        assertThat(Files.mismatch(fast.resolve(weights), slow.resolve(weights)))
                .as("the offline runs trained their policies differently")
                .isNotEqualTo(-1L);
    }

    private Path run(String name, String samplesFrom, double lr) throws Exception {
        Path run = dir.resolve(name);
        List<String> sets = new ArrayList<>(List.of(
                "algorithm=pair_sft",
                "policy.checkpoint=" + Path.of("base", "synthetic-sft").toAbsolutePath(),
                "correction_sft.samples_from=" + samplesFrom,
                "train.lr=" + lr,
                "train.steps=4",
                "train.tasks_per_step=4",
                "train.group_size=4",
                "rollout.backend=local",
                "eval.every=0",
                "eval.problems=4",
                "checkpoint.every=4"));
        new TrainingRun(ConfigTree.resolve(null, sets), run, false, p -> {}).run();
        return run;
    }

    /** What each step's rollouts were: the batch's self-correction metrics and example count. */
    private static List<Map<String, Double>> batchMetrics(Path run) throws Exception {
        List<Map<String, Double>> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            Map<String, Double> m = new LinkedHashMap<>();
            JsonNode n = json.readTree(line);
            n.fields().forEachRemaining(e -> {
                if (e.getKey().startsWith("batch/") || e.getKey().equals("sft/examples")) {
                    m.put(e.getKey(), e.getValue().asDouble());
                }
            });
            out.add(m);
        }
        return out;
    }
}
