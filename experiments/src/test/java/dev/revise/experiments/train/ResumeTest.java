package dev.revise.experiments.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.experiments.config.ConfigTree;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --resume} continues bit-identically on CPU: a run killed with SIGKILL (or while writing a
 * checkpoint) and resumed writes the same metrics.jsonl values (except {@code perf/} keys) and the
 * same final weights and optimizer state as an uninterrupted run.
 */
class ResumeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** SCoRe, both stages, 6 updates, a checkpoint every 2 (keep-last 2). */
    static List<String> scoreRun() {
        return List.of(
                "run.seed=3",
                "algorithm=score",
                "score.stage1_steps=3",
                "score.stage2_steps=3",
                "train.tasks_per_step=2",
                "train.group_size=2",
                "train.lr=0.002",
                "env.max_tokens_per_turn=16",
                "rollout.backend=local",
                "rollout.workers=2",
                "rollout.tasks_per_unit=1",
                "eval.every=3",
                "eval.problems=6",
                "checkpoint.every=2",
                "checkpoint.keep_last=2");
    }

    /**
     * As a user runs it: every run is a fresh {@code revise train} JVM. (Within one JVM, what ran
     * before can change the last bits: libtorch's kernels round differently on the first thread
     * that computes, and this test must not depend on which tests ran first.)
     */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aRunKilledWithSigkillResumesBitIdentically() throws Exception {
        killAndResume(List.of());
    }

    /** A LoRA run (with adapter dropout, whose masks must be drawn again the same) resumes bit-identically too. */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aLoraRunKilledWithSigkillResumesBitIdentically() throws Exception {
        killAndResume(List.of(
                "policy.lora.rank=4", "policy.lora.dropout=0.1", "policy.lora.targets=[q_proj, v_proj, down_proj]"));
        assertThat(dir.resolve("killed/checkpoints/step-000006/adapter_model.safetensors"))
                .exists();
    }

    private void killAndResume(List<String> extra) throws Exception {
        sets = new ArrayList<>(scoreRun());
        sets.addAll(extra);
        Path config = dir.resolve("run.yaml");
        Files.writeString(config, "");
        Path straight = dir.resolve("straight");
        Process whole = train(config, straight, false, "straight.log");
        assertEquals(0, whole.waitFor(), () -> log("straight.log"));

        Path killed = dir.resolve("killed");
        Process child = train(config, killed, false, "child.log");
        Path latest = killed.resolve("checkpoints/latest");
        while (!Files.exists(latest) && child.isAlive()) {
            Thread.sleep(10);
        }
        boolean killedMidRun = child.isAlive();
        child.destroyForcibly().waitFor(); // SIGKILL: no shutdown hooks, no flushing
        assertTrue(killedMidRun, "the child finished before it could be killed: " + log("child.log"));
        assertThat(Files.readString(latest).strip()).isIn("step-000002", "step-000004");

        Process resumed = train(config, killed, true, "resumed.log");
        assertEquals(0, resumed.waitFor(), () -> log("resumed.log"));
        assertSameRun(straight, killed);
    }

    private List<String> sets = scoreRun();

    /** {@code revise train} of {@link #scoreRun()} in a new JVM with this one's flags, output to {@code logName}. */
    private Process train(Path config, Path runDir, boolean resume, String logName) throws Exception {
        return start(trainArguments(config, runDir, sets, resume), dir.resolve(logName));
    }

    /** {@code revise train} arguments: the config, the run directory, {@code --set} each override. */
    static List<String> trainArguments(Path config, Path runDir, List<String> sets, boolean resume) {
        List<String> args =
                new ArrayList<>(List.of("train", "--config", config.toString(), "--run-dir", runDir.toString()));
        for (String s : sets) {
            args.add("--set");
            args.add(s);
        }
        if (resume) {
            args.add("--resume");
        }
        return args;
    }

    /** {@code revise ARGS} in a new JVM with this one's flags and classpath, stdout and stderr to {@code log}. */
    static Process start(List<String> args, Path log) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command(args)).redirectErrorStream(true);
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.redirectOutput(log.toFile());
        return pb.start();
    }

    /** The command line of {@code revise ARGS} in a new JVM with this one's flags and classpath. */
    static List<String> command(List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("-D") || a.startsWith("--add-opens"))
                .toList());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.revise.experiments.cli.ReviseCli"));
        cmd.addAll(args);
        return cmd;
    }

    private String log(String name) {
        try {
            return Files.readString(dir.resolve(name));
        } catch (java.io.IOException e) {
            return "(no " + name + ": " + e + ")";
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aKillWhileWritingACheckpointLeavesThePreviousOneLoadable() throws Exception {
        Path straight = dir.resolve("straight");
        new TrainingRun(ConfigTree.resolve(null, scoreRun()), straight, false, p -> {}).run();
        // The state a kill during the step-6 checkpoint leaves: a partial temporary directory,
        // latest still naming step 4, and metrics written past it (one line cut short).
        Path crashed = dir.resolve("crashed");
        copyTree(straight, crashed);
        Checkpoints.deleteTree(crashed.resolve("checkpoints/step-000006"));
        Files.createDirectories(crashed.resolve("checkpoints/.tmp-step-000006"));
        Files.writeString(crashed.resolve("checkpoints/.tmp-step-000006/model.safetensors"), "partial");
        Files.writeString(crashed.resolve("checkpoints/latest"), "step-000004\n");
        Files.writeString(
                crashed.resolve("metrics.jsonl"), "{\"step\": 7, \"reward/me", java.nio.file.StandardOpenOption.APPEND);
        new TrainingRun(ConfigTree.resolve(null, scoreRun()), crashed, true, p -> {}).run();
        assertSameRun(straight, crashed);
    }

    /**
     * Checkpoints exported in bfloat16 keep float32 master weights beside them, and a resume
     * continues from those: bit-identical, as from a float32 checkpoint. (Resuming from the
     * rounded export would change every later update.)
     */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aBfloat16ExportResumesBitIdenticallyFromItsFloat32Master() throws Exception {
        List<String> bf16 = new java.util.ArrayList<>(scoreRun());
        bf16.add("checkpoint.dtype=bfloat16");
        bf16.add("checkpoint.max_shard_size=20KB");
        Path straight = dir.resolve("straight");
        new TrainingRun(ConfigTree.resolve(null, bf16), straight, false, p -> {}).run();
        Path step6 = straight.resolve("checkpoints/step-000006");
        assertThat(step6.resolve("model.safetensors.index.json")).exists();
        assertThat(Files.readString(step6.resolve("config.json"))).contains("\"torch_dtype\" : \"bfloat16\"");
        try (dev.revise.policies.checkpoint.CheckpointWeights w =
                        dev.revise.policies.checkpoint.CheckpointWeights.open(step6);
                dev.revise.policies.checkpoint.CheckpointWeights m =
                        dev.revise.policies.checkpoint.CheckpointWeights.open(step6.resolve(Checkpoints.MASTER))) {
            assertEquals(java.util.Set.of(dev.revise.policies.checkpoint.SafeDtype.BF16), w.dtypes());
            assertEquals(java.util.Set.of(dev.revise.policies.checkpoint.SafeDtype.F32), m.dtypes());
        }
        Path crashed = dir.resolve("crashed");
        copyTree(straight, crashed);
        Checkpoints.deleteTree(crashed.resolve("checkpoints/step-000006"));
        Files.writeString(crashed.resolve("checkpoints/latest"), "step-000004\n");
        new TrainingRun(ConfigTree.resolve(null, bf16), crashed, true, p -> {}).run();
        assertSameRun(straight, crashed);
    }

    /**
     * rollout.overlap: 1 on Ray actors: every batch after the first is sampled one version behind
     * the learner, the checkpoint keeps the next batch (its weights are gone), and a resume from it
     * is bit-identical.
     */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void anOverlappedRunLagsOneVersionAndResumesBitIdentically() throws Exception {
        List<String> overlap = List.of(
                "run.seed=5",
                "algorithm=grpo",
                "train.steps=6",
                "train.tasks_per_step=2",
                "train.group_size=2",
                "train.lr=0.002",
                "env.turns=2",
                "env.max_tokens_per_turn=12",
                "rollout.backend=ray",
                "rollout.workers=2",
                "rollout.tasks_per_unit=1",
                "rollout.overlap=1",
                "eval.problems=4",
                "checkpoint.every=2",
                "checkpoint.keep_last=2");
        Path straight = dir.resolve("straight");
        new TrainingRun(ConfigTree.resolve(null, overlap), straight, false, p -> {}).run();
        List<Double> lags = new ArrayList<>();
        for (String line : Files.readAllLines(straight.resolve("metrics.jsonl"))) {
            lags.add(JSON.readTree(line).path("perf/policy_lag").asDouble(-1));
        }
        assertEquals(List.of(0.0, 1.0, 1.0, 1.0, 1.0, 1.0), lags);
        assertThat(straight.resolve("checkpoints/step-000004/" + Checkpoints.PREFETCHED))
                .exists();
        assertThat(straight.resolve("checkpoints/step-000006/" + Checkpoints.PREFETCHED))
                .doesNotExist();
        Path crashed = dir.resolve("crashed");
        copyTree(straight, crashed);
        Checkpoints.deleteTree(crashed.resolve("checkpoints/step-000006"));
        Files.writeString(crashed.resolve("checkpoints/latest"), "step-000004\n");
        new TrainingRun(ConfigTree.resolve(null, overlap), crashed, true, p -> {}).run();
        assertSameRun(straight, crashed);
        // the batch of update 5 was sampled with version 4's weights, which the resumed run never had
        List<String> scoreWithOverlap = new ArrayList<>(scoreRun());
        scoreWithOverlap.add("rollout.overlap=1");
        assertThatThrownBy(() -> new TrainingRun(
                                ConfigTree.resolve(null, scoreWithOverlap), dir.resolve("score"), false, p -> {})
                        .run())
                .hasMessageContaining("rollout.overlap: 1")
                .hasMessageContaining("'score'");
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aResumeAtTheEndOfAPassOverAFiniteDatasetTrainsTheRemainingSteps() throws Exception {
        Path data = dir.resolve("tasks.jsonl");
        Files.writeString(
                data,
                String.join(
                        "\n",
                        "{\"question\": \"Q1+2:\", \"answer\": \"3\"}",
                        "{\"question\": \"Q4-1:\", \"answer\": \"3\"}",
                        "{\"question\": \"Q5+5:\", \"answer\": \"0\"}",
                        "{\"question\": \"Q7-2:\", \"answer\": \"5\"}",
                        ""));
        List<String> grpo = List.of(
                "algorithm=rloo",
                "task.dataset=" + data,
                "task.verifier=synthetic",
                "env.turns=1",
                "env.max_tokens_per_turn=12",
                "train.steps=4",
                "train.tasks_per_step=2",
                "train.group_size=3",
                "rollout.backend=local",
                "eval.problems=4",
                "checkpoint.every=2");
        Path straight = dir.resolve("straight");
        new TrainingRun(ConfigTree.resolve(null, grpo), straight, false, p -> {}).run();
        Path resumed = dir.resolve("resumed");
        copyTree(straight, resumed);
        // step 2 used all 4 tasks: the cursor sits exactly at the end of the first pass
        Files.writeString(resumed.resolve("checkpoints/latest"), "step-000002\n");
        Checkpoints.deleteTree(resumed.resolve("checkpoints/step-000004"));
        JsonNode state = JSON.readTree(
                resumed.resolve("checkpoints/step-000002/trainer_state.json").toFile());
        assertEquals(4, state.get("taskIndex").asInt());
        new TrainingRun(ConfigTree.resolve(null, grpo), resumed, true, p -> {}).run();
        assertSameRun(straight, resumed);
    }

    @Test
    void refusalsNameWhatIsWrong() throws Exception {
        Path run = dir.resolve("run");
        List<String> tiny = List.of(
                "algorithm=sft",
                "train.steps=2",
                "sft.batch=2",
                "eval.problems=2",
                "checkpoint.every=1",
                "checkpoint.keep_last=1");
        assertThatThrownBy(() -> new TrainingRun(ConfigTree.resolve(null, tiny), run, true, p -> {}).run())
                .hasMessageContaining("has no complete checkpoint");
        new TrainingRun(ConfigTree.resolve(null, tiny), run, false, p -> {}).run();
        assertThat(run.resolve("checkpoints/step-000001")).doesNotExist(); // keep-last 1
        assertThatThrownBy(() -> new TrainingRun(ConfigTree.resolve(null, tiny), run, false, p -> {}).run())
                .hasMessageContaining("already exists")
                .hasMessageContaining("--resume");
        List<String> changed = new ArrayList<>(tiny);
        changed.add("train.lr=0.1");
        assertThatThrownBy(() -> new TrainingRun(ConfigTree.resolve(null, changed), run, true, p -> {}).run())
                .hasMessageContaining("config differs")
                .hasMessageContaining("train.lr: 3.0E-4 vs 0.1");
        Files.writeString(run.resolve("checkpoints/step-000002/trainer_state.json"), "{\"step\": ");
        assertThatThrownBy(() -> new TrainingRun(ConfigTree.resolve(null, tiny), run, true, p -> {}).run())
                .hasMessageContaining("trainer_state.json");
    }

    /**
     * Before, a config that failed while the run was set up (here: more evaluation problems than
     * the held-out split has) had already written config.resolved.yaml, so the corrected command
     * was refused as "already exists and is not empty".
     */
    @Test
    void aConfigThatFailsAtSetupLeavesTheRunDirectoryEmpty() throws Exception {
        Path run = dir.resolve("fails-at-setup");
        List<String> tooMany = List.of(
                "algorithm=sft", "train.steps=1", "sft.batch=2", "task.synthetic.steps=1", "eval.problems=1000");
        assertThatThrownBy(() -> new TrainingRun(ConfigTree.resolve(null, tooMany), run, false, p -> {}).run())
                .hasMessageContaining("fewer than 1000 distinct problems");
        assertThat(run.resolve("config.resolved.yaml")).doesNotExist();
        List<String> fixed = new ArrayList<>(tooMany);
        fixed.set(4, "eval.problems=2");
        new TrainingRun(ConfigTree.resolve(null, fixed), run, false, p -> {}).run();
        assertThat(run.resolve("config.resolved.yaml")).exists();
    }

    /** Skipped updates count towards a streak; a finite one resets it; the limit stops the run. */
    @Test
    void nonFiniteStreaksStopTheRunWithADiagnostic() {
        Map<String, Double> skipped = Map.of("optim/step_skipped", 1.0, "optim/grad_norm", Double.NaN);
        Map<String, Double> fine = Map.of("optim/step_skipped", 0.0);
        assertEquals(1, TrainingRun.nonFiniteStreak(0, 3, 1, skipped));
        assertEquals(2, TrainingRun.nonFiniteStreak(1, 3, 2, skipped));
        assertEquals(0, TrainingRun.nonFiniteStreak(2, 3, 3, fine));
        assertThatThrownBy(() -> TrainingRun.nonFiniteStreak(2, 3, 4, skipped))
                .hasMessageContaining("stopping at step 4: 3 consecutive updates had non-finite")
                .hasMessageContaining("grad norm NaN");
    }

    /** A policy with a non-finite weight is never checkpointed, and nothing is left half-written. */
    @Test
    void nonFiniteWeightsAreNeverSaved() throws Exception {
        try (ai.djl.ndarray.NDManager root = ai.djl.ndarray.NDManager.newBaseManager();
                dev.revise.policies.LlamaPolicy policy =
                        new PolicyFactory(ConfigTree.resolve(null, List.of())).build(root)) {
            ai.djl.ndarray.NDArray w = policy.parameters().values().iterator().next();
            float[] v = w.toFloatArray();
            v[0] = Float.NaN;
            w.set(v);
            Checkpoints ck = new Checkpoints(dir, 2);
            assertThatThrownBy(() ->
                            ck.write(policy, Map.of(), new Checkpoints.TrainerState(1, 1, 1, 0, 0, 0, Map.of()), "x"))
                    .hasMessageContaining("non-finite");
            assertThat(dir.resolve("checkpoints/step-000001")).doesNotExist();
            assertThat(dir.resolve("checkpoints/latest")).doesNotExist();
        }
    }

    static void assertSameRun(Path expected, Path actual) throws Exception {
        List<String> a = Files.readAllLines(expected.resolve("metrics.jsonl"));
        List<String> b = Files.readAllLines(actual.resolve("metrics.jsonl"));
        assertEquals(a.size(), b.size(), "metrics.jsonl lines");
        for (int i = 0; i < a.size(); i++) {
            JsonNode x = JSON.readTree(a.get(i));
            JsonNode y = JSON.readTree(b.get(i));
            for (Iterator<Map.Entry<String, JsonNode>> it = x.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getKey().startsWith("perf/")) {
                    assertEquals(e.getValue(), y.get(e.getKey()), "line " + (i + 1) + " key " + e.getKey());
                }
            }
        }
        String last = Files.readString(expected.resolve("checkpoints/latest")).strip();
        assertEquals(
                last, Files.readString(actual.resolve("checkpoints/latest")).strip());
        Path ck = expected.resolve("checkpoints").resolve(last);
        List<String> files = new java.util.ArrayList<>(List.of("optimizer.safetensors"));
        try (var s = Files.walk(ck)) {
            s.filter(p -> p.getFileName().toString().startsWith("model")
                            || p.getFileName().toString().startsWith("adapter_model"))
                    .forEach(p -> files.add(ck.relativize(p).toString()));
        }
        for (String f : files) {
            assertArrayEquals(
                    Files.readAllBytes(
                            expected.resolve("checkpoints").resolve(last).resolve(f)),
                    Files.readAllBytes(
                            actual.resolve("checkpoints").resolve(last).resolve(f)),
                    f + " differs");
        }
    }

    static void copyTree(Path from, Path to) throws Exception {
        try (var s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
