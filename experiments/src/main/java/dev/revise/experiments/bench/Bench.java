package dev.revise.experiments.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.revise.envs.EnvironmentConfig;
import dev.revise.experiments.config.ConfigTree;
import dev.revise.experiments.tasks.TaskSetup;
import dev.revise.experiments.train.AlgorithmSpec;
import dev.revise.policies.DeviceSpec;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.ModelShapes;
import dev.revise.policies.lora.LoraAdapter;
import dev.revise.policies.lora.LoraConfig;
import dev.revise.policies.model.LlamaConfig;
import dev.revise.policies.model.LlamaModel;
import dev.revise.policies.tokenizer.ChatFormat;
import dev.revise.rewards.RewardConfig;
import dev.revise.rl.Prompt;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.ScoreOptions;
import dev.revise.rl.Task;
import dev.revise.rl.TaskSource;
import dev.revise.rl.TokenBatch;
import dev.revise.rl.TokenScores;
import dev.revise.rl.rollout.Rollout;
import dev.revise.rl.rollout.RolloutRequest;
import dev.revise.rl.rollout.RolloutWorker;
import dev.revise.rl.train.AdamW;
import dev.revise.rl.train.Scopes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Throughput of the policy on named shapes with random weights: one warm-up run, then the median
 * of {@code reps} timed runs. The workloads (the same as the transformers peer scripts the developers compare with):
 *
 * <ul>
 *   <li>{@code train}: forward, token log-prob policy-gradient loss, backward, AdamW; tokens/s =
 *       batch * seq / step time;
 *   <li>{@code decode}: prompt tokens then {@code new} sampled tokens at temperature 1 with the KV
 *       cache; tokens/s = batch * new / (prefill + decode time);
 *   <li>{@code score}: no-grad token log-probs; tokens/s = batch * seq / time;
 *   <li>{@code matmul}: a 2048^3 float32 matmul, the machine's GEMM reference in GFLOP/s;
 *   <li>{@code load}: loading {@code --checkpoint} (single or sharded, any stored dtype, into
 *       float32): seconds, and the process's resident memory before and after and at its peak
 *       (VmHWM) against the float32 size of the weights.
 * </ul>
 *
 * <p>With {@code --checkpoint}, train/decode/score run on that checkpoint's weights instead of a
 * random shape.
 */
public final class Bench {
    /** What to measure. */
    public record Spec(
            String shape,
            String workload,
            int batch,
            int seq,
            int prompt,
            int newTokens,
            int threads,
            int reps,
            Path checkpoint,
            int loraRank,
            boolean activationCheckpointing,
            int turns,
            int group,
            int tasks,
            boolean noReuse) {
        public Spec {
            if (!List.of("train", "decode", "score", "matmul", "load", "memory", "rollout")
                    .contains(workload)) {
                throw new IllegalArgumentException("--workload must be train, decode, score, matmul, load, memory or"
                        + " rollout, got '" + workload + "'");
            }
            if (noReuse && !workload.equals("rollout")) {
                throw new IllegalArgumentException("--no-reuse applies to --workload rollout only");
            }
            if (turns < 1 || group < 1 || tasks < 1) {
                throw new IllegalArgumentException("--turns, --group and --tasks must be >= 1");
            }
            if (workload.equals("load") && checkpoint == null) {
                throw new IllegalArgumentException("--workload load needs --checkpoint");
            }
            if (loraRank < 0) {
                throw new IllegalArgumentException("--lora-rank must be >= 0, got " + loraRank);
            }
            if (batch < 1 || seq < 1 || prompt < 1 || newTokens < 1 || threads < 1 || reps < 1) {
                throw new IllegalArgumentException(
                        "--batch, --seq, --prompt, --new, --threads and --reps must be >= 1");
            }
        }
    }

    private Bench() {}

    public static Map<String, Object> run(Spec spec) {
        Engine.getInstance(); // loads the native library before the first direct JNI call
        JniUtils.setNumThreads(spec.threads());
        Map<String, Object> out = new LinkedHashMap<>();
        if (spec.checkpoint() == null) {
            out.put("shape", spec.shape());
        }
        out.put("workload", spec.workload());
        if (spec.workload().equals("matmul")) {
            out.put("threads", spec.threads());
            out.putAll(matmul(spec));
            return out;
        }
        if (spec.workload().equals("load")) {
            out.put("checkpoint", spec.checkpoint().toString());
            out.putAll(load(spec));
            return out;
        }
        LlamaConfig config = spec.checkpoint() != null
                ? LlamaConfig.read(spec.checkpoint().resolve("config.json"))
                : ModelShapes.named(spec.shape());
        if (spec.workload().equals("memory")) {
            out.putAll(memory(spec, config));
            return out;
        }
        if (spec.checkpoint() != null) {
            out.put("checkpoint", spec.checkpoint().toString());
        }
        out.put("params", config.parameterCount());
        // a rollout's shape is --tasks, --group and --turns, printed with its figures
        if (spec.workload().equals("decode")) {
            out.put("batch", spec.batch());
            out.put("prompt", spec.prompt());
            out.put("new", spec.newTokens());
        } else if (!spec.workload().equals("rollout")) {
            out.put("batch", spec.batch());
            out.put("seq", spec.seq());
        }
        out.put("threads", spec.threads());
        out.put("lora_rank", spec.loraRank());
        out.put("activation_checkpointing", spec.activationCheckpointing());
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = adapted(
                        spec,
                        config,
                        root,
                        spec.checkpoint() != null
                                ? LlamaPolicy.load(spec.checkpoint(), root, DeviceSpec.cpu())
                                : new LlamaPolicy(
                                        LlamaModel.random(
                                                config, root, DeviceSpec.cpu().toDevice(), 1),
                                        ModelShapes.defaultTokenizer(Math.max(config.vocabSize(), 64)),
                                        null,
                                        ChatFormat.CHATML))) {
            policy.model().setActivationCheckpointing(spec.activationCheckpointing());
            SplittableRandom rng = new SplittableRandom(7);
            if (spec.workload().equals("rollout")) {
                out.putAll(rollout(policy.withChatFormat(ChatFormat.PLAIN), spec));
                return out;
            }
            Runnable work =
                    switch (spec.workload()) {
                        case "train" -> trainStep(policy, spec, rng);
                        case "decode" -> decode(policy, spec, rng);
                        default -> score(policy, spec, rng);
                    };
            double seconds;
            if (spec.workload().equals("train")) {
                // the peak of the timed steps above what a warmed-up step leaves resident (weights,
                // gradients, optimizer state): what activations cost
                work.run();
                double settled = procStatusMb("VmRSS");
                boolean reset = resetPeakRss();
                seconds = timedMedian(work, spec.reps());
                if (reset) {
                    double peak = procStatusMb("VmHWM");
                    out.put("rss_after_warmup_mb", round(settled, 1));
                    out.put("peak_rss_mb", round(peak, 1));
                    out.put("peak_above_warmup_mb", round(peak - settled, 1));
                }
            } else {
                seconds = medianSeconds(work, spec.reps());
            }
            double tokens = spec.workload().equals("decode")
                    ? (double) spec.batch() * spec.newTokens()
                    : (double) spec.batch() * spec.seq();
            out.put("seconds", round(seconds, 5));
            out.put("tokens_per_s", round(tokens / seconds, 1));
            if (spec.workload().equals("train")) {
                double flops = trainFlops(config, spec.batch(), spec.seq());
                out.put("gflop_per_s", round(flops / seconds / 1e9, 2));
            }
        }
        return out;
    }

    /** Loads the checkpoint {@code reps} times; memory figures are of the first load, in MB. */
    private static Map<String, Object> load(Spec spec) {
        Map<String, Object> out = new LinkedHashMap<>();
        LlamaConfig config = LlamaConfig.read(spec.checkpoint().resolve("config.json"));
        out.put("params", config.parameterCount());
        out.put("weights_float32_mb", round(config.parameterCount() * 4 / 1e6, 1));
        out.put("files_mb", round(weightFileBytes(spec.checkpoint()) / 1e6, 1));
        out.put("threads", spec.threads());
        double before = procStatusMb("VmRSS");
        List<Double> seconds = new java.util.ArrayList<>();
        for (int r = 0; r < spec.reps(); r++) {
            long t0 = System.nanoTime();
            try (NDManager root = NDManager.newBaseManager();
                    LlamaPolicy policy = LlamaPolicy.load(spec.checkpoint(), root, DeviceSpec.cpu())) {
                seconds.add((System.nanoTime() - t0) / 1e9);
                if (r == 0) {
                    out.put("rss_before_mb", round(before, 1));
                    out.put("rss_after_load_mb", round(procStatusMb("VmRSS"), 1));
                    out.put("peak_rss_mb", round(procStatusMb("VmHWM"), 1));
                }
            }
        }
        java.util.Collections.sort(seconds);
        out.put("seconds", round(seconds.get(seconds.size() / 2), 3));
        return out;
    }

    private static long weightFileBytes(Path dir) {
        try (java.util.stream.Stream<Path> s = java.nio.file.Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".safetensors"))
                    .mapToLong(p -> p.toFile().length())
                    .sum();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A figure of /proc/self/status in MB (Linux); -1 elsewhere. */
    static double procStatusMb(String key) {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** 6 x params x tokens for the dense layers plus the attention matmuls (forward and backward). */
    static double trainFlops(LlamaConfig c, int batch, int seq) {
        double tokens = (double) batch * seq;
        double dense = 6.0 * c.parameterCount() * tokens;
        double attention = 3.0 * 4.0 * c.numHiddenLayers() * batch * (double) seq * seq * c.qDim();
        return dense + attention;
    }

    private static Runnable trainStep(LlamaPolicy policy, Spec spec, SplittableRandom rng) {
        int vocab = policy.config().vocabSize();
        int[][] rows = randomTokens(rng, spec.batch(), spec.seq() + 1, vocab);
        float[] advantages = new float[spec.batch() * spec.seq()];
        for (int i = 0; i < advantages.length; i++) {
            advantages[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        AdamW adam = new AdamW(policy.manager(), AdamW.Config.defaults());
        long[] step = {0};
        return () -> {
            try (NDManager scope = Scopes.step(policy.manager(), step[0]++)) {
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    TokenScores scores = policy.score(scope, new TokenBatch(rows), ScoreOptions.LOGPROBS_ONLY);
                    NDArray adv = scope.create(advantages, new Shape(spec.batch(), spec.seq()));
                    NDArray loss = scores.logProbs().mul(adv).mean().neg();
                    policy.backward(collector, loss);
                }
                adam.step(policy.parameters(), 1e-4);
                policy.parametersUpdated();
            }
        };
    }

    private static Runnable decode(LlamaPolicy policy, Spec spec, SplittableRandom rng) {
        int[][] rows =
                randomTokens(rng, spec.batch(), spec.prompt(), policy.config().vocabSize());
        SamplingParams params = SamplingParams.sample(spec.newTokens());
        long[] call = {0};
        return () -> {
            List<Prompt> prompts = new ArrayList<>();
            for (int i = 0; i < rows.length; i++) {
                prompts.add(new Prompt(rows[i], call[0] * 1_000_003L + i));
            }
            call[0]++;
            policy.generator().generate(prompts, params);
        };
    }

    private static Runnable score(LlamaPolicy policy, Spec spec, SplittableRandom rng) {
        int[][] rows =
                randomTokens(rng, spec.batch(), spec.seq() + 1, policy.config().vocabSize());
        return () -> {
            try (NDManager scope = Scopes.named(policy.manager(), "score")) {
                policy.score(scope, new TokenBatch(rows), ScoreOptions.LOGPROBS_ONLY)
                        .logProbs()
                        .toFloatArray();
            }
        };
    }

    private static Map<String, Object> matmul(Spec spec) {
        int n = 2048;
        Map<String, Object> out = new LinkedHashMap<>();
        try (NDManager root = NDManager.newBaseManager()) {
            NDArray a = root.randomUniform(-1, 1, new Shape(n, n));
            NDArray b = root.randomUniform(-1, 1, new Shape(n, n));
            double seconds = medianSeconds(
                    () -> {
                        try (NDArray c = a.matMul(b)) {
                            c.getFloat(0, 0);
                        }
                    },
                    spec.reps());
            out.put("n", n);
            out.put("seconds", round(seconds, 5));
            out.put("gflop_per_s", round(2.0 * n * n * n / seconds / 1e9, 2));
        }
        return out;
    }

    private static int[][] randomTokens(SplittableRandom rng, int rows, int length, int vocab) {
        int[][] out = new int[rows][length];
        for (int[] row : out) {
            for (int j = 0; j < length; j++) {
                row[j] = rng.nextInt(vocab);
            }
        }
        return out;
    }

    /**
     * The estimate of a learner's memory for a train step of this shape and batch (no reference:
     * as the train workload runs it), in MB, next to what the train workload measures.
     */
    private static Map<String, Object> memory(Spec spec, LlamaConfig config) {
        LoraConfig lora = spec.loraRank() == 0
                ? null
                : new LoraConfig(spec.loraRank(), 2.0 * spec.loraRank(), 0, LoraConfig.ALL_TARGETS);
        dev.revise.policies.MemoryEstimate m = new dev.revise.policies.MemoryEstimate(
                config, lora, spec.activationCheckpointing(), false, 4, spec.batch(), spec.seq() + 1);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("params", config.parameterCount());
        out.put("batch", spec.batch());
        out.put("seq", spec.seq());
        out.put("lora_rank", spec.loraRank());
        out.put("activation_checkpointing", spec.activationCheckpointing());
        m.learner().forEach((k, v) -> out.put(k + "_mb", round(v / 1e6, 1)));
        return out;
    }

    /**
     * The real rollout path (the self-correction environment, the synthetic task's verifier and
     * GRPO's rollout rewards at their default settings, the generator) for
     * {@code --tasks} tasks x {@code --group} samples x {@code --turns} turns per update: generated
     * tokens over all turns per second, and seconds per update (median of {@code --reps} after a
     * warm-up).
     */
    private static Map<String, Object> rollout(LlamaPolicy policy, Spec spec) {
        ConfigTree c = ConfigTree.defaults();
        c.set("algorithm=grpo"); // any number of turns; its rollout rewards are correctness per turn
        c.set("env.turns=" + spec.turns());
        TaskSetup setup = new TaskSetup(c);
        EnvironmentConfig env = setup.environment();
        TaskSource source = setup.trainSource();
        RolloutWorker worker = new RolloutWorker(
                setup.environment(env),
                policy.generator(),
                policy,
                RewardConfig.parse(AlgorithmSpec.read(c).rolloutRewards(), "rewards"),
                c.integer("rollout.max_batch", 1, 1 << 20),
                !spec.noReuse());
        SamplingParams sampling = AlgorithmSpec.sampling(c, env.maxTokensPerTurn(), policy.stopTokenIds());
        long[] generated = {0};
        long[] context = {0, 0}; // context tokens: all, and those not computed by a prefill
        int[] iteration = {0};
        Runnable update = () -> {
            List<Task> tasks = new ArrayList<>();
            for (int i = 0; i < spec.tasks(); i++) {
                tasks.add(source.next());
            }
            RolloutRequest request = new RolloutRequest(tasks, spec.group(), 7, iteration[0]++, sampling);
            for (Rollout r : worker.run(request, 0)) {
                context[0] += r.prefill().total();
                context[1] += r.prefill().reused() + r.prefill().shared();
                for (int turn : r.turnOfToken()) {
                    if (turn >= 0) {
                        generated[0]++;
                    }
                }
            }
        };
        update.run(); // warm-up
        generated[0] = 0;
        context[0] = 0;
        context[1] = 0;
        long started = System.nanoTime();
        double median = timedMedian(update, spec.reps());
        double total = (System.nanoTime() - started) / 1e9;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("turns", spec.turns());
        out.put("group", spec.group());
        out.put("tasks", spec.tasks());
        out.put("reuse", !spec.noReuse());
        out.put("kv_reused_fraction", context[0] == 0 ? 0.0 : round((double) context[1] / context[0], 4));
        out.put("generated_tokens_per_update", round((double) generated[0] / spec.reps(), 1));
        out.put("seconds_per_update", round(median, 4));
        out.put("tokens_per_s", round(generated[0] / total, 1));
        return out;
    }

    /** The policy, with a LoRA adapter of {@code --lora-rank} (alpha 2r, every projection) when set. */
    private static LlamaPolicy adapted(Spec spec, LlamaConfig config, NDManager root, LlamaPolicy policy) {
        if (spec.loraRank() == 0) {
            return policy;
        }
        return policy.withAdapter(LoraAdapter.create(
                config,
                new LoraConfig(spec.loraRank(), 2.0 * spec.loraRank(), 0, LoraConfig.ALL_TARGETS),
                root,
                DeviceSpec.cpu().toDevice(),
                ai.djl.ndarray.types.DataType.FLOAT32,
                1));
    }

    /** Resets the process's peak RSS (VmHWM) to its current RSS (Linux: clear_refs 5); false elsewhere. */
    static boolean resetPeakRss() {
        try {
            java.nio.file.Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (java.io.IOException | SecurityException e) {
            return false;
        }
    }

    static double medianSeconds(Runnable work, int reps) {
        work.run(); // warm-up
        return timedMedian(work, reps);
    }

    private static double timedMedian(Runnable work, int reps) {
        double[] times = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            work.run();
            times[i] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(times);
        return times[reps / 2];
    }

    private static double round(double v, int digits) {
        double scale = Math.pow(10, digits);
        return Math.round(v * scale) / scale;
    }
}
