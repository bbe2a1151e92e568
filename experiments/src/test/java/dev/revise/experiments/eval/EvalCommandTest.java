package dev.revise.experiments.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.experiments.cli.CliTest;
import dev.revise.experiments.config.ConfigTree;
import dev.revise.experiments.train.TrainingRun;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalCommandTest {
    @TempDir
    static Path dir;

    static Path checkpoint;

    @BeforeAll
    static void trainATinyPolicy() throws Exception {
        Path run = dir.resolve("run");
        new TrainingRun(
                        ConfigTree.resolve(
                                null, List.of("algorithm=sft", "train.steps=2", "sft.batch=4", "eval.problems=2")),
                        run,
                        false,
                        p -> {})
                .run();
        checkpoint = run.resolve("checkpoints/step-000002");
    }

    @Test
    void evalWritesTheContractFieldsAndPrintsThePathLast() throws Exception {
        CliTest.Result r = CliTest.run(
                "eval",
                "--checkpoint",
                checkpoint.toString(),
                "--dataset",
                "synthetic",
                "--turns",
                "3",
                "--feedback",
                "oracle-always-retry",
                "--samples",
                "2",
                "--limit",
                "6",
                "--set",
                "env.retry_message=|");
        assertEquals(0, r.status(), r.err());
        // progress on stderr (not a terminal: plain lines): 6 problems x 2 samples, then 6 x 3 parallel attempts
        org.assertj.core.api.Assertions.assertThat(r.err()).contains("eval 30/30 episodes (100%)");
        List<String> lines = r.out().strip().lines().toList();
        Path file = Path.of(lines.get(lines.size() - 1));
        assertEquals(dir.resolve("run/eval/step-000002-synthetic-t3/eval.json"), file);
        JsonNode e = new ObjectMapper().readTree(file.toFile());
        assertEquals(3, e.get("turns").asInt());
        assertEquals(6, e.get("n_problems").asInt());
        assertEquals(2, e.get("samples_per_problem").asInt());
        assertEquals("oracle-always-retry", e.get("feedback").asText());
        // 2 samples of each problem: intervals and the turn test over the 6 problems, and eval.json says so
        assertEquals("problem", e.get("inference_unit").asText());
        assertEquals(6, e.get("n_clusters").asInt());
        assertEquals("problem_cluster_wilson", e.get("interval_method").asText());
        assertEquals("problem_means_t", e.get("delta_interval_method").asText());
        assertEquals("sign_test_problems", e.get("paired_test").asText());
        assertEquals(2, e.get("p1_at_tK_ci").size());
        assertThat(r.out()).contains("over the 6 problems");
        assertEquals(3, e.get("accuracy").size());
        assertEquals(3, e.get("accuracy_ci").size());
        assertEquals(
                e.get("accuracy").get(1).asDouble() - e.get("accuracy").get(0).asDouble(),
                e.get("delta").asDouble(),
                1e-12);
        assertEquals(
                e.get("delta_i_to_c").asDouble() - e.get("delta_c_to_i").asDouble(),
                e.get("delta").asDouble(),
                1e-12);
        long total = 0;
        for (JsonNode row : e.get("transitions").get(0)) {
            for (JsonNode cell : row) {
                total += cell.asLong();
            }
        }
        assertEquals(12, total, "2x2 transitions of turn 1 -> 2 over 6 problems x 2 samples");
        for (String f : List.of("mcnemar_p", "p1_at_tK", "m1_at_tK", "mK_at_t1", "edit_ratio", "pass_at_k")) {
            assertThat(e.has(f)).as(f).isTrue();
        }
        assertThat(e.get("pass_at_k").get("t1").has("2")).isTrue();
        assertEquals(12, e.get("per_episode").get("task_ids").size());
        assertEquals(3, e.get("per_episode").get("correct").get(0).size());
    }

    @Test
    void badInputNamesTheFlagOrKey() throws Exception {
        CliTest.Result r =
                CliTest.run("eval", "--checkpoint", dir.resolve("nope").toString(), "--dataset", "synthetic");
        assertEquals(2, r.status());
        assertThat(r.err()).contains("--checkpoint").contains("not a checkpoint directory");
        r = CliTest.run("eval", "--checkpoint", checkpoint.toString(), "--dataset", "synthetic", "--feedback", "loud");
        assertEquals(2, r.status());
        assertThat(r.err()).contains("feedback mode must be");
    }

    @Test
    void aRunDirectoryOrItsLatestPointerNamesTheLatestCheckpoint() throws Exception {
        Path run = dir.resolve("two-checkpoints");
        new TrainingRun(
                        ConfigTree.resolve(
                                null,
                                List.of(
                                        "algorithm=sft",
                                        "train.steps=2",
                                        "sft.batch=4",
                                        "eval.problems=2",
                                        "checkpoint.every=1",
                                        "checkpoint.keep_last=2")),
                        run,
                        false,
                        p -> {})
                .run();
        assertThat(run.resolve("checkpoints/step-000001")).exists();
        for (Path given : List.of(run, run.resolve("checkpoints"), run.resolve("checkpoints/latest"))) {
            CliTest.Result r =
                    CliTest.run("eval", "--checkpoint", given.toString(), "--dataset", "synthetic", "--limit", "2");
            assertEquals(0, r.status(), given + ": " + r.err());
            List<String> lines = r.out().strip().lines().toList();
            assertEquals(
                    run.resolve("eval/step-000002-synthetic/eval.json"),
                    Path.of(lines.get(lines.size() - 1)),
                    given + " should mean the latest checkpoint");
        }
        Path nested = run.resolve("notes/readme.txt"); // two levels in: once read as <run>/checkpoints/latest
        java.nio.file.Files.createDirectories(nested.getParent());
        java.nio.file.Files.writeString(nested, "step-000002\n");
        for (Path wrong : List.of(dir.resolve("nowhere"), run.resolve("metrics.jsonl"), nested, run.resolve("notes"))) {
            CliTest.Result r = CliTest.run("eval", "--checkpoint", wrong.toString(), "--dataset", "synthetic");
            assertEquals(2, r.status(), wrong.toString());
            assertThat(r.err())
                    .contains("--checkpoint")
                    .contains(wrong.toString())
                    .contains("not a checkpoint");
        }
    }
}
