package dev.revise.experiments.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.revise.experiments.cli.CliTest;
import dev.revise.experiments.config.ConfigTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every config under experiments/configs resolves and validates; smoke.yaml runs end to end on Ray. */
class ShippedConfigsTest {
    static final Path CONFIGS = Path.of("configs");
    /** Stands in for the GPU configs' model directories, which only a user's machine has. */
    static final Path FIXTURE = Path.of("../policies/src/test/resources/fixtures/hf-llama-tiny");

    @TempDir
    Path dir;

    @Test
    void everyShippedConfigPassesTheDryRun() throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.list(CONFIGS)) {
            files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(10);
        for (Path f : files) {
            List<String> sets = new ArrayList<>();
            ConfigTree plain = ConfigTree.resolve(f, List.of());
            String ck = plain.optionalString("policy.checkpoint");
            if (ck != null && ck.startsWith("/models/")) {
                sets.add("policy.checkpoint=" + FIXTURE.toAbsolutePath());
            }
            String data = plain.optionalString("task.dataset");
            if (data != null && data.startsWith("/data/")) {
                sets.add("task.dataset=gsm8k_train_sample");
            }
            List<String> args = new ArrayList<>(List.of("train", "--dry-run", "--config", f.toString()));
            for (String s : sets) {
                args.add("--set");
                args.add(s);
            }
            CliTest.Result r = CliTest.run(args.toArray(new String[0]));
            assertEquals(0, r.status(), f + ": " + r.err());
            assertThat(r.out()).contains("\"valid\": true");
        }
    }

    /** The dry run states what a learner and an actor will hold, and what LoRA and checkpointing change. */
    @Test
    void theDryRunEstimatesMemory() {
        String smoke = CONFIGS.resolve("smoke.yaml").toString();
        CliTest.Result full = CliTest.run("train", "--dry-run", "--config", smoke);
        assertEquals(0, full.status(), full.err());
        assertThat(full.err())
                .contains("memory per learner (estimate", "adamw state", "activations", "memory per rollout actor");
        CliTest.Result lora = CliTest.run(
                "train",
                "--dry-run",
                "--config",
                smoke,
                "--set",
                "policy.lora.rank=8",
                "--set",
                "train.activation_checkpointing=true");
        assertEquals(0, lora.status(), lora.err());
        assertThat(lora.err()).contains("LoRA r 8", "trained parameters; the frozen base is the reference", "adapter");
        CliTest.Result refused = CliTest.run("train", "--dry-run", "--config", smoke, "--set", "policy.lora.alpha=8");
        assertThat(refused.err()).contains("policy.lora.alpha is set but policy.lora.rank is 0");
        CliTest.Result dtype = CliTest.run(
                "train",
                "--dry-run",
                "--config",
                smoke,
                "--set",
                "policy.lora.rank=8",
                "--set",
                "checkpoint.dtype=bfloat16");
        assertThat(dtype.err()).contains("checkpoint.dtype", "revise export --merge --dtype");
    }

    @Test
    void aBadKeyInAConfigFailsTheDryRunNamingFileAndPath() throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, "algorithm: score\nscore:\n  alpha: ten\n");
        CliTest.Result r = CliTest.run("train", "--dry-run", "--config", f.toString());
        assertEquals(2, r.status());
        assertThat(r.err()).contains("bad.yaml").contains("score.alpha: expected a number, got 'ten'");
        Files.writeString(f, "algorithm: scor\n");
        assertThat(CliTest.run("train", "--dry-run", "--config", f.toString()).err())
                .contains("algorithm: expected one of");
    }

    @Test
    void smokeConfigRunsOnRayWithThreeCheckpoints() throws Exception {
        Path run = dir.resolve("smoke");
        CliTest.Result r =
                CliTest.run("train", "--config", CONFIGS.resolve("smoke.yaml").toString(), "--run-dir", run.toString());
        assertEquals(0, r.status(), r.err());
        assertThat(r.out().strip()).endsWith(run.toString());
        assertEquals(20, Files.readAllLines(run.resolve("metrics.jsonl")).size());
        // checkpoints at 7, 14 and 20; keep-last 2 leaves the last two
        assertThat(run.resolve("checkpoints/step-000007")).doesNotExist();
        assertThat(run.resolve("checkpoints/step-000014/model.safetensors")).exists();
        assertThat(run.resolve("checkpoints/step-000020/optimizer.safetensors")).exists();
        assertEquals(
                "step-000020",
                Files.readString(run.resolve("checkpoints/latest")).strip());
        assertThat(run.resolve("eval/step-000020/eval.json")).exists();
        assertThat(run.resolve("samples/step-000010.jsonl")).exists();
        assertThat(Files.readString(run.resolve("config.resolved.yaml"))).contains("algorithm: score");
    }
}
