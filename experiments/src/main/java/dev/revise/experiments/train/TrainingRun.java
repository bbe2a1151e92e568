package dev.revise.experiments.train;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.envs.EnvironmentConfig;
import dev.revise.experiments.config.ConfigTree;
import dev.revise.experiments.preemption.Preempted;
import dev.revise.experiments.preemption.Preemption;
import dev.revise.experiments.tasks.TaskSetup;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.MemoryEstimate;
import dev.revise.policies.lora.LoraAdapter;
import dev.revise.policies.lora.LoraConfig;
import dev.revise.policies.model.LlamaConfig;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.TaskSource;
import dev.revise.rl.learn.LearnerState;
import dev.revise.rl.learn.MetricNames;
import dev.revise.rl.rollout.RolloutSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One training run in a run directory (docs/architecture.md section 5): builds every component from the
 * resolved config, trains step by step, evaluates and checkpoints on schedule, and resumes from the
 * latest checkpoint so that the continued run's metrics.jsonl values (except {@code perf/} keys)
 * and final weights equal those of an uninterrupted run.
 */
public final class TrainingRun {
    /** Config paths that may differ between a checkpoint and the run resuming it. */
    static final Set<String> RESUME_MAY_CHANGE = Set.of("rollout", "checkpoint", "run.name");

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a step reports to the terminal. */
    public record Progress(long step, long total, Map<String, Double> metrics, double secondsPerStep) {}

    private final ConfigTree config;
    private final Path runDir;
    private final boolean resume;
    private final Consumer<Progress> progress;

    private final Path stopFile;

    public TrainingRun(ConfigTree config, Path runDir, boolean resume, Consumer<Progress> progress) {
        this(config, runDir, resume, progress, null);
    }

    /**
     * A run that also stops (checkpointed, {@link Preempted}) when {@code stopFile} appears, as on
     * a stop signal: for runs where no signal reaches them (a sweep's Ray tasks).
     */
    public TrainingRun(ConfigTree config, Path runDir, boolean resume, Consumer<Progress> progress, Path stopFile) {
        this.config = config;
        this.runDir = runDir;
        this.resume = resume;
        this.progress = progress;
        this.stopFile = stopFile;
    }

    /** Resolves and builds everything a run needs without training: the {@code --dry-run} check. */
    public static List<String> validate(ConfigTree c) {
        List<String> facts = new ArrayList<>();
        AlgorithmSpec spec = AlgorithmSpec.read(c);
        facts.add("algorithm " + spec.name().configName + ", " + spec.updates() + " updates");
        PolicyFactory policies = new PolicyFactory(c);
        policies.device();
        policies.refuseAdapterStart();
        LlamaConfig arch = policies.architecture();
        facts.add("policy " + arch.modelType() + " " + arch.parameterCount() + " parameters, device "
                + c.string("run.device"));
        LoraConfig lora = policies.lora();
        if (lora != null) {
            if (!c.isDefault("checkpoint.dtype")) {
                throw new IllegalArgumentException("checkpoint.dtype is set, but a LoRA run's checkpoints hold the"
                        + " float32 adapter only (policy.lora.rank " + lora.rank() + "): choose the merged"
                        + " model's dtype with 'revise export --merge --dtype'");
            }
            long trained = LoraAdapter.parameterShapes(arch, lora).values().stream()
                    .mapToLong(sh -> sh[0] * sh[1])
                    .sum();
            facts.add("LoRA r " + lora.rank() + ", alpha " + lora.alpha() + " on " + lora.targets() + ": " + trained
                    + " trained parameters; the frozen base is the reference");
        }
        if (policies.checkpoint() != null) {
            java.util.List<String> ignored = dev.revise.policies.model.LlamaConfigJson.read(
                            policies.checkpoint().resolve("config.json"))
                    .ignored();
            if (!ignored.isEmpty()) {
                facts.add("config.json keys that transformers' " + arch.modelType()
                        + " does not read either (ignored): " + String.join(", ", ignored));
            }
        }
        TaskSetup tasks = new TaskSetup(c);
        EnvironmentConfig env = tasks.environment();
        TaskSetup.verifier(tasks.verifierName());
        if (!tasks.synthetic()) {
            facts.add("dataset " + tasks.dataset() + ": "
                    + tasks.tasks(tasks.dataset()).size() + " tasks");
        } else {
            tasks.family(tasks.dataset());
        }
        facts.add("env " + env.turns() + " turns, feedback " + env.feedback().configName());
        c.choice("rollout.backend", "ray", "local");
        c.integer("rollout.workers", 1, 4096);
        c.integer("eval.every", 0, Integer.MAX_VALUE);
        c.integer("eval.problems", 1, 1 << 24);
        c.integer("checkpoint.every", 0, Integer.MAX_VALUE);
        c.integer("checkpoint.keep_last", 1, 1 << 20);
        c.number("checkpoint.signal_grace_s", 0, 1e9);
        Checkpoints.weightFormat(c, dev.revise.policies.checkpoint.SafeDtype.F32);
        c.integer("run.max_nonfinite_steps", 1, Integer.MAX_VALUE);
        facts.addAll(memoryFacts(c, spec, arch, lora, env)); // last: every key it reads is checked
        return facts;
    }

    /**
     * Trains to the end; returns the final evaluation's metrics. With {@code run.threads} > 0
     * libtorch's intra-op threads are set for the run (a process-wide setting) and put back after.
     */
    public Map<String, Double> run() throws IOException {
        int threads = config.integer("run.threads", 0, 4096);
        if (threads == 0) {
            return train();
        }
        ai.djl.engine.Engine.getEngine("PyTorch"); // loads libtorch before the JNI call
        int before = JniUtils.getNumThreads();
        JniUtils.setNumThreads(threads);
        try {
            return train();
        } finally {
            JniUtils.setNumThreads(before);
        }
    }

    private Map<String, Double> train() throws IOException {
        Checkpoints checkpoints = new Checkpoints(runDir, config.integer("checkpoint.keep_last", 1, 1 << 20));
        Path resumeFrom = prepareDirectory(checkpoints);
        AlgorithmSpec spec = AlgorithmSpec.read(config);
        long total = spec.updates();
        int evalEvery = config.integer("eval.every", 0, Integer.MAX_VALUE);
        int checkpointEvery = config.integer("checkpoint.every", 0, Integer.MAX_VALUE);
        int maxNonFinite = config.integer("run.max_nonfinite_steps", 1, Integer.MAX_VALUE);
        double grace = config.number("checkpoint.signal_grace_s", 0, 1e9);
        PolicyFactory policies = new PolicyFactory(config);
        TaskSetup taskSetup = new TaskSetup(config);
        Map<String, Double> last = Map.of();
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = policies.buildTrained(root);
                // under LoRA the reference is the base itself with the adapter off: no second copy
                LlamaPolicy reference = !spec.needsReference()
                        ? null
                        : policy.adapter() != null ? policy.base() : policies.build(root)) {
            String baseName = policy.adapter() == null ? null : adapterBase(policies, policy);
            EnvironmentConfig env = taskSetup.environment();
            TaskSource tasks = taskSetup.trainSource();
            SamplingParams sampling = AlgorithmSpec.sampling(config, env.maxTokensPerTurn(), policy.stopTokenIds());
            Evaluation evaluation = new Evaluation(config, taskSetup, policy);
            try (RolloutSource rollouts = spec.needsRollouts()
                    ? RolloutBackends.create(
                            config, spec.rolloutRewards(), spec.samplesFromBase() ? reference : policy, env, taskSetup)
                    : null) {
                AlgorithmSpec.Built built =
                        spec.build(new AlgorithmSpec.Wiring(policy, reference, tasks, rollouts, taskSetup, sampling));
                if (config.integer("rollout.overlap", 0, 1) == 1
                        && !(built.trainer() instanceof dev.revise.rl.learn.OnPolicyTrainer)) {
                    throw new IllegalArgumentException("rollout.overlap: 1 overlaps the rollouts of single-stage"
                            + " on-policy algorithms (grpo and its variants, rloo, reinforce, ppo) with their updates;"
                            + " algorithm '" + config.string("algorithm")
                            + "' does not support it: set rollout.overlap: 0");
                }
                try (Preemption preemption = new Preemption(grace, stopFile, m -> {
                    System.err.println("revise train: " + m);
                    System.err.flush();
                })) {
                    writeResolvedConfig();
                    int nonFinite = 0;
                    if (resumeFrom != null) {
                        nonFinite = restore(resumeFrom, policy, built, tasks, root);
                    }
                    tensorBoard = TensorBoardWriter.open(
                            runDir.resolve("tensorboard"),
                            resumeFrom != null ? built.trainer().step() : -1);
                    long started = System.nanoTime();
                    long firstStep = built.trainer().step();
                    while (!built.trainer().done()) {
                        preemption.updating(true);
                        int stage = built.trainer().stage();
                        Map<String, Double> m =
                                new LinkedHashMap<>(built.trainer().trainStep());
                        long step = built.trainer().step();
                        // 1. non-finite updates are skipped by the optimizer; too many in a row stop the run
                        nonFinite = nonFiniteStreak(nonFinite, maxNonFinite, step, m);
                        m.put("train/stage", (double) stage);
                        // 2. evaluation on held-out problems
                        if ((evalEvery > 0 && step % evalEvery == 0) || step == total) {
                            m.putAll(evaluation.run(step, runDir));
                        }
                        double seconds = (System.nanoTime() - started) / 1e9 / (step - firstStep);
                        m.put("perf/seconds_per_step", seconds);
                        appendMetrics(step, m);
                        // 3. checkpoint: on schedule, and when asked to stop (a signal, the sweep's stop file)
                        boolean written = false;
                        if ((checkpointEvery > 0 && step % checkpointEvery == 0)
                                || step == total
                                || preemption.requested() != null) {
                            preemption.updating(false);
                            writeCheckpoint(checkpoints, policy, baseName, built, tasks, nonFinite);
                            written = true;
                        }
                        progress.accept(new Progress(step, total, m, seconds));
                        last = m;
                        // 4. a stop that came while the checkpoint was written still gets this step's
                        Preemption.Stop stop = preemption.requested();
                        if (stop != null && !built.trainer().done()) {
                            if (!written) {
                                preemption.updating(false);
                                writeCheckpoint(checkpoints, policy, baseName, built, tasks, nonFinite);
                            }
                            throw new Preempted(
                                    stop,
                                    "stopped by " + stop.signal() + " after step " + step + " of " + total
                                            + "; checkpoint " + checkpoints.latest() + " (continue with --resume)");
                        }
                    }
                } finally {
                    if (tensorBoard != null) {
                        closeQuietly(tensorBoard);
                        tensorBoard = null;
                    }
                    for (AutoCloseable r : built.resources()) {
                        closeQuietly(r);
                    }
                }
            }
        }
        return last;
    }

    private void writeCheckpoint(
            Checkpoints checkpoints,
            LlamaPolicy policy,
            String baseName,
            AlgorithmSpec.Built built,
            TaskSource tasks,
            int nonFinite)
            throws IOException {
        checkpoints
                .withFormat(weightFormat(config, policy))
                .withAdapterBase(baseName)
                .write(
                        policy,
                        built.states(),
                        trainerState(built, tasks, policy, nonFinite),
                        config.toYaml(),
                        built.trainer().prefetched());
    }

    /**
     * The learner's and each rollout actor's memory as {@link MemoryEstimate} computes it, for a
     * micro-batch of the configured rows and episodes of {@code turns x max_tokens_per_turn}
     * tokens plus up to 128 prompt tokens.
     */
    private static List<String> memoryFacts(
            ConfigTree c, AlgorithmSpec spec, LlamaConfig arch, LoraConfig lora, EnvironmentConfig env) {
        int micro = c.integer("train.micro_batch_rows", 0, 1 << 20);
        String algorithm = spec.name().configName;
        long rows = micro > 0
                ? micro
                : switch (algorithm) {
                    case "sft", "pair_sft", "star" -> c.integer("sft.batch", 1, 1 << 20);
                    case "rise" -> c.integer("rise.sft_batch_rows", 1, 1 << 20);
                    case "ppo" -> c.integer("ppo.mini_batch_rows", 0, 1 << 20);
                    default -> 0;
                };
        if (rows == 0) { // the whole batch at once
            rows = (long) c.integer("train.tasks_per_step", 1, 1 << 20) * c.integer("train.group_size", 1, 1 << 20);
        }
        long tokens = Math.min(arch.positionLimit(), (long) env.turns() * env.maxTokensPerTurn() + 128);
        int inferenceBytes = c.string("run.dtype").equals("float32") ? 4 : 2;
        MemoryEstimate m = new MemoryEstimate(
                arch,
                lora,
                c.bool("train.activation_checkpointing"),
                spec.needsReference(),
                inferenceBytes,
                rows,
                tokens);
        List<String> out = new ArrayList<>();
        out.add("memory per learner (estimate, " + rows + " rows x " + tokens + " tokens per micro-batch): "
                + MemoryEstimate.describe(m.learner()));
        if (spec.needsRollouts()) {
            int batch = c.integer("rollout.max_batch", 1, 1 << 20);
            out.add("memory per rollout actor (estimate, " + batch + " sequences x " + tokens + " positions): "
                    + MemoryEstimate.describe(m.actor(batch, tokens)));
        }
        return out;
    }

    /**
     * The {@code base_model_name_or_path} of a LoRA run's adapters: the absolute path of {@code
     * policy.checkpoint}, or, for random weights, {@code <run>/base}, written once here (the seed
     * rebuilds the same weights on resume; the copy is for PEFT and {@code revise export}).
     */
    private String adapterBase(PolicyFactory policies, LlamaPolicy policy) throws IOException {
        if (policies.checkpoint() != null) {
            return policies.checkpoint().toAbsolutePath().normalize().toString();
        }
        Path base = runDir.resolve("base").toAbsolutePath().normalize();
        if (!Files.isRegularFile(base.resolve("config.json"))) {
            Path tmp = runDir.resolve(".tmp-base");
            Checkpoints.deleteTree(tmp);
            policy.base().save(tmp);
            Files.move(tmp, base, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        return base.toString();
    }

    /**
     * The streak of consecutive skipped (non-finite) updates after this one.
     *
     * @throws IllegalStateException with a diagnostic when it reaches {@code max}
     */
    static int nonFiniteStreak(int streak, int max, long step, Map<String, Double> m) {
        int now = m.getOrDefault(MetricNames.STEP_SKIPPED, 0.0) > 0 ? streak + 1 : 0;
        if (now >= max) {
            throw new IllegalStateException("stopping at step " + step + ": " + now
                    + " consecutive updates had non-finite loss or gradients (last grad norm "
                    + m.get(MetricNames.GRAD_NORM) + ", loss " + m.get(MetricNames.LOSS)
                    + "); nothing non-finite was saved. Lower train.lr or check the rewards.");
        }
        return now;
    }

    /**
     * A fresh run's config.resolved.yaml, written once everything the config sets up (policy,
     * tasks, evaluation, rollouts, algorithm) was built: a config that fails there leaves the run
     * directory as it was, so the corrected command runs without --resume.
     */
    private void writeResolvedConfig() throws IOException {
        if (!resume) {
            Files.createDirectories(runDir);
            Files.writeString(runDir.resolve("config.resolved.yaml"), config.toYaml());
        }
    }

    /** Refuses an existing run without --resume and --resume without a checkpoint; returns it. */
    private Path prepareDirectory(Checkpoints checkpoints) throws IOException {
        if (!resume) {
            if (Files.exists(runDir) && Files.list(runDir).findAny().isPresent()) {
                throw new IllegalArgumentException(
                        "run directory " + runDir
                                + " already exists and is not empty: pass --resume to continue it, or choose another --run-dir");
            }
            return null; // config.resolved.yaml is written once the run is set up (writeResolvedConfig)
        }
        Path latest = checkpoints.latest();
        if (latest == null) {
            throw new IllegalArgumentException("--resume: " + runDir + " has no complete checkpoint (no "
                    + runDir.resolve("checkpoints/latest") + ")");
        }
        ConfigTree saved = ConfigTree.parseResolved(
                Checkpoints.manifestConfig(latest),
                latest.resolve("manifest.json").toString());
        List<String> diff = resumeDifferences(saved, config);
        if (!diff.isEmpty()) {
            throw new IllegalArgumentException("--resume: the config differs from the checkpoint's ("
                    + latest.resolve("manifest.json") + "; checkpoint vs now): " + String.join("; ", diff));
        }
        return latest;
    }

    /**
     * What may not change between a checkpoint's config and a resume's: every key but those of
     * {@link #RESUME_MAY_CHANGE}, and of {@code run.device} only cpu vs cuda (which GPU of a node,
     * as Ray assigns it to a sweep task, is placement, not the experiment).
     */
    static List<String> resumeDifferences(ConfigTree saved, ConfigTree now) {
        List<String> diff = new ArrayList<>(saved.differences(now, RESUME_MAY_CHANGE));
        if (saved.string("run.device").startsWith("cuda")
                && now.string("run.device").startsWith("cuda")) {
            diff.removeIf(d -> d.startsWith("run.device: "));
        }
        return diff;
    }

    private int restore(
            Path checkpoint, LlamaPolicy policy, AlgorithmSpec.Built built, TaskSource tasks, NDManager root)
            throws IOException {
        Checkpoints.TrainerState state = Checkpoints.trainerState(checkpoint);
        if (policy.adapter() != null) {
            try (LoraAdapter saved = LoraAdapter.load(
                    checkpoint,
                    policy.config(),
                    root,
                    policy.adapter().manager().getDevice(),
                    DataType.FLOAT32)) {
                if (!saved.config().equals(policy.adapter().config())) {
                    throw new IllegalArgumentException(checkpoint.resolve("adapter_config.json")
                            + ": the adapter differs from policy.lora: " + saved.config() + " vs "
                            + policy.adapter().config());
                }
                policy.restore(saved.snapshot(), state.policyVersion());
            }
            return restoreState(checkpoint, state, built, tasks, policy);
        }
        LlamaConfig saved = LlamaConfig.read(checkpoint.resolve("config.json"));
        if (!saved.equals(policy.config())) {
            throw new IllegalArgumentException(checkpoint.resolve("config.json") + ": architecture differs from the"
                    + " config's policy: " + saved + " vs " + policy.config());
        }
        try (LlamaPolicy weights = LlamaPolicy.load(
                checkpoint, Checkpoints.trainingWeights(checkpoint), root, new PolicyFactory(config).trainedDevice())) {
            policy.restore(weights.snapshot(), state.policyVersion());
        }
        return restoreState(checkpoint, state, built, tasks, policy);
    }

    private int restoreState(
            Path checkpoint,
            Checkpoints.TrainerState state,
            AlgorithmSpec.Built built,
            TaskSource tasks,
            LlamaPolicy policy)
            throws IOException {
        Checkpoints.restoreLearners(checkpoint, built.states(), state, policy.manager());
        tasks.restore(new dev.revise.rl.TaskSource.TaskCursor(state.taskEpoch(), state.taskIndex()));
        built.trainer().restoreStep(state.step());
        dev.revise.rl.learn.PrefetchedBatch prefetched = Checkpoints.prefetched(checkpoint);
        if (prefetched != null) {
            built.trainer().restorePrefetched(prefetched);
        }
        truncateMetrics(state.step());
        return state.nonFiniteStreak();
    }

    private static Checkpoints.WeightFormat weightFormat(ConfigTree config, LlamaPolicy policy) {
        return Checkpoints.weightFormat(config, policy.sourceDtype());
    }

    private static Checkpoints.TrainerState trainerState(
            AlgorithmSpec.Built built, TaskSource tasks, LlamaPolicy policy, int nonFinite) {
        Map<String, Map<String, Long>> counters = new LinkedHashMap<>();
        for (Map.Entry<String, LearnerState> e : built.states().entrySet()) {
            counters.put(e.getKey(), e.getValue().counters());
        }
        return new Checkpoints.TrainerState(
                built.trainer().step(),
                built.trainer().stage(),
                policy.version(),
                tasks.cursor().epoch(),
                tasks.cursor().index(),
                nonFinite,
                counters);
    }

    /** The run's TensorBoard event file while it trains (metrics.jsonl's rows, as they are written). */
    private TensorBoardWriter tensorBoard;

    private void appendMetrics(long step, Map<String, Double> m) throws IOException {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("step", step);
        for (Map.Entry<String, Double> e : m.entrySet()) {
            double v = e.getValue();
            line.put(e.getKey(), Double.isFinite(v) ? v : null);
        }
        appendWhole(
                runDir.resolve("metrics.jsonl"),
                (JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8));
        if (tensorBoard != null) {
            try {
                tensorBoard.scalars(step, m);
            } catch (IOException e) {
                throw new IOException(
                        "writing " + runDir.resolve("tensorboard") + " failed at step " + step + ": " + e.getMessage()
                                + " (a resumed run starts a new event file)",
                        e);
            }
        }
    }

    /**
     * Appends one whole line or nothing: a write that fails (a full disk) is cut back, so the file
     * keeps only complete lines and a resume reads every one of them.
     */
    static void appendWhole(Path file, byte[] line) throws IOException {
        try (java.nio.channels.FileChannel out = java.nio.channels.FileChannel.open(
                file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            long before = out.size();
            try {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(line);
                while (b.hasRemaining()) {
                    out.write(b);
                }
            } catch (IOException e) {
                out.truncate(before);
                throw new IOException(
                        "appending to " + file + " failed: " + e.getMessage()
                                + " (the line was not written; the file keeps its complete lines)",
                        e);
            }
        }
    }

    /** Drops metrics lines after the checkpoint's step, so no step appears twice after a resume. */
    private void truncateMetrics(long step) throws IOException {
        Path f = runDir.resolve("metrics.jsonl");
        if (!Files.exists(f)) {
            return;
        }
        StringBuilder kept = new StringBuilder();
        for (String line : Files.readAllLines(f)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (IOException e) {
                break; // a line cut by the kill: everything after it is past the checkpoint too
            }
            if (n.path("step").asLong(Long.MAX_VALUE) <= step) {
                kept.append(line).append('\n');
            }
        }
        Path tmp = runDir.resolve("metrics.jsonl.tmp");
        Files.writeString(tmp, kept.toString());
        Files.move(tmp, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static void closeQuietly(AutoCloseable r) {
        try {
            r.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing " + r + " failed", e);
        }
    }
}
