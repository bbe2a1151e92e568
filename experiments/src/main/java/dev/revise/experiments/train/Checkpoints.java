package dev.revise.experiments.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.checkpoint.CheckpointException;
import dev.revise.policies.checkpoint.SafeDtype;
import dev.revise.policies.checkpoint.SafetensorsFile;
import dev.revise.policies.checkpoint.SafetensorsWriter;
import dev.revise.policies.checkpoint.ShardedWriter;
import dev.revise.policies.checkpoint.TensorSource;
import dev.revise.rl.learn.LearnerState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A run's checkpoints (docs/architecture.md section 5): {@code checkpoints/step-NNNNNN/} holds a Hugging
 * Face policy directory plus {@code optimizer.safetensors}, {@code trainer_state.json} and {@code
 * manifest.json}. A checkpoint is written into a temporary directory and renamed into place, then
 * {@code checkpoints/latest} (the name of the newest complete checkpoint) is replaced atomically,
 * then checkpoints beyond keep-last are deleted: a crash at any point leaves the previous
 * checkpoint loadable and named by {@code latest}.
 */
public final class Checkpoints {
    public static final int FORMAT_VERSION = 1;
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What trainer_state.json holds. */
    public record TrainerState(
            long step,
            int stage,
            long policyVersion,
            long taskEpoch,
            long taskIndex,
            int nonFiniteStreak,
            Map<String, Map<String, Long>> counters) {}

    /** The directory, inside a checkpoint, of the float32 weights kept when the exported dtype is not float32. */
    public static final String MASTER = "master";

    /**
     * How the policy's weights are written: {@code checkpoint.dtype} resolved ({@code source}: the
     * starting checkpoint's own dtype) and {@code checkpoint.max_shard_size} in bytes.
     */
    public record WeightFormat(SafeDtype dtype, long maxShardBytes) {
        public static final WeightFormat FLOAT32 =
                new WeightFormat(SafeDtype.F32, ShardedWriter.DEFAULT_MAX_SHARD_BYTES);
    }

    private final Path dir;
    private final int keepLast;
    private final WeightFormat format;
    private final String adapterBase; // a LoRA run's base_model_name_or_path, else null

    public Checkpoints(Path runDir, int keepLast) {
        this(runDir, keepLast, WeightFormat.FLOAT32);
    }

    public Checkpoints(Path runDir, int keepLast, WeightFormat format) {
        this(runDir, keepLast, format, null);
    }

    private Checkpoints(Path runDir, int keepLast, WeightFormat format, String adapterBase) {
        if (keepLast < 1) {
            throw new IllegalArgumentException("checkpoint.keep_last must be >= 1, got " + keepLast);
        }
        this.dir = runDir.resolve("checkpoints");
        this.keepLast = keepLast;
        this.format = format;
        this.adapterBase = adapterBase;
    }

    /**
     * The same checkpoints, writing a LoRA policy as a PEFT adapter directory whose {@code
     * base_model_name_or_path} is {@code base} (null: a policy without an adapter).
     */
    public Checkpoints withAdapterBase(String base) {
        return new Checkpoints(dir.getParent(), keepLast, format, base);
    }

    /** The same checkpoints, writing the policy's weights in {@code weights}. */
    public Checkpoints withFormat(WeightFormat weights) {
        return new Checkpoints(dir.getParent(), keepLast, weights, adapterBase);
    }

    /**
     * {@code checkpoint.dtype} and {@code checkpoint.max_shard_size}; {@code source} resolves to
     * {@code sourceDtype}, the dtype of the checkpoint training started from.
     */
    public static WeightFormat weightFormat(dev.revise.experiments.config.ConfigTree c, SafeDtype sourceDtype) {
        String d = c.choice("checkpoint.dtype", "source", "float32", "bfloat16", "float16");
        SafeDtype dtype =
                switch (d) {
                    case "float32" -> SafeDtype.F32;
                    case "bfloat16" -> SafeDtype.BF16;
                    case "float16" -> SafeDtype.F16;
                    default -> sourceDtype;
                };
        long shard;
        try {
            shard = ShardedWriter.parseSize(c.string("checkpoint.max_shard_size"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("checkpoint.max_shard_size: " + e.getMessage(), e);
        }
        return new WeightFormat(dtype, shard);
    }

    /** The weights a resume restores: the float32 master copy when the export is in another dtype. */
    public static Path trainingWeights(Path checkpoint) {
        Path master = checkpoint.resolve(MASTER);
        return Files.isDirectory(master) ? master : checkpoint;
    }

    public static String name(long step) {
        return String.format("step-%06d", step);
    }

    /** Writes the checkpoint of {@code state.step()}; returns its directory. */
    public Path write(LlamaPolicy policy, Map<String, LearnerState> learners, TrainerState state, String resolvedConfig)
            throws IOException {
        return write(policy, learners, state, resolvedConfig, null);
    }

    /** The file that keeps the next update's batch of a run with {@code rollout.overlap: 1}. */
    static final String PREFETCHED = "prefetched_batch.json";

    private static final ObjectMapper BATCH_JSON = new ObjectMapper()
            .disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * As {@link #write(LlamaPolicy, Map, TrainerState, String)}, keeping {@code prefetched} (the
     * next update's batch, sampled with weights the checkpoint no longer has) when not null.
     */
    public Path write(
            LlamaPolicy policy,
            Map<String, LearnerState> learners,
            TrainerState state,
            String resolvedConfig,
            dev.revise.rl.learn.PrefetchedBatch prefetched)
            throws IOException {
        requireFinite(policy.parameters(), "policy");
        Files.createDirectories(dir);
        Path target = dir.resolve(name(state.step()));
        Path tmp = dir.resolve(".tmp-" + name(state.step()));
        deleteTree(tmp);
        try {
            Files.createDirectories(tmp);
            writeFiles(tmp, policy, learners, state, resolvedConfig, prefetched);
            deleteTree(target); // a checkpoint of this step from a run that died before naming it latest
            move(tmp, target);
        } catch (IOException e) {
            throw writeFailed(e, target, tmp, policy, learners);
        }
        Path latestTmp = dir.resolve("latest.tmp");
        try {
            Files.writeString(latestTmp, name(state.step()) + "\n");
            move(latestTmp, dir.resolve("latest"));
        } catch (IOException e) {
            Files.deleteIfExists(latestTmp);
            throw writeFailed(e, target, target, policy, learners); // not named latest: removed, as a partial one
        }
        prune(target);
        return target;
    }

    /**
     * The error of a checkpoint write that failed (a full disk, a quota): {@code partial} is removed
     * first, so the previous checkpoint and {@code latest} are as they were, and the message names
     * the checkpoint, the cause and, for a full disk, the bytes it needs against those free.
     */
    private IOException writeFailed(
            IOException e, Path target, Path partial, LlamaPolicy policy, Map<String, LearnerState> learners) {
        long free = -1; // when it failed: before the partial directory is removed
        try {
            free = Files.getFileStore(dir).getUsableSpace();
        } catch (IOException ignored) {
            // the free space is a hint only
        }
        String removed;
        try {
            deleteTree(partial);
            removed = "the partial " + partial.getFileName() + " was removed";
        } catch (IOException again) {
            removed = "removing the partial " + partial + " failed too (" + again.getMessage() + "): delete it";
        }
        Path previous = latest();
        StringBuilder m = new StringBuilder("writing checkpoint " + target + " failed: " + e.getMessage());
        if (String.valueOf(e.getMessage()).contains("No space left on device")
                || String.valueOf(e.getMessage()).contains("Disk quota exceeded")) {
            long needed = previous != null ? treeBytes(previous) : tensorBytes(policy, learners);
            m.append("; a checkpoint of this run needs about ")
                    .append(needed)
                    .append(" bytes (")
                    .append(previous != null ? "the size of " + previous.getFileName() : "its tensors")
                    .append(") next to the ones kept");
            if (free >= 0) {
                m.append(", and ").append(free).append(" were free in ").append(dir);
            }
        }
        m.append("; ").append(removed).append(" and ");
        m.append(
                previous != null
                        ? dir.resolve("latest") + " still names " + previous.getFileName()
                                + ", intact (--resume continues from it)"
                        : "there is no earlier checkpoint");
        return new IOException(m.toString(), e);
    }

    private static long treeBytes(Path p) {
        try (Stream<Path> s = Files.walk(p)) {
            return s.filter(Files::isRegularFile)
                    .mapToLong(f -> f.toFile().length())
                    .sum();
        } catch (IOException e) {
            return -1;
        }
    }

    /** The tensors' bytes as this writer stores them (weights, a float32 master when exported narrower, optimizer). */
    private long tensorBytes(LlamaPolicy policy, Map<String, LearnerState> learners) {
        long weights =
                policy.parameters().values().stream().mapToLong(NDArray::size).sum();
        long bytes = policy.adapter() != null
                ? weights * 4
                : weights * format.dtype().bytes();
        if (policy.adapter() == null && format.dtype() != SafeDtype.F32) {
            bytes += weights * 4;
        }
        for (LearnerState l : learners.values()) {
            bytes += l.stateTensors().values().stream().mapToLong(NDArray::size).sum() * 4;
        }
        return bytes;
    }

    private void writeFiles(
            Path tmp,
            LlamaPolicy policy,
            Map<String, LearnerState> learners,
            TrainerState state,
            String resolvedConfig,
            dev.revise.rl.learn.PrefetchedBatch prefetched)
            throws IOException {
        if (policy.adapter() != null) {
            if (adapterBase == null) {
                throw new IllegalStateException("a LoRA policy's checkpoint needs its base (withAdapterBase)");
            }
            // a PEFT adapter directory: the base is rebuilt from the config on resume
            policy.saveAdapter(tmp, adapterBase);
        } else {
            policy.save(tmp, format.dtype(), format.maxShardBytes());
        }
        if (policy.adapter() == null && format.dtype() != SafeDtype.F32) {
            // training continues from float32 weights: a resume from the rounded export would not be exact
            policy.model().save(tmp.resolve(MASTER), SafeDtype.F32, format.maxShardBytes());
        }
        Map<String, SafetensorsWriter.Source> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, LearnerState> l : learners.entrySet()) {
            requireFinite(l.getValue().stateTensors(), l.getKey());
            l.getValue().stateTensors().forEach((k, v) -> tensors.put(l.getKey() + "." + k, new TensorSource(v)));
        }
        SafetensorsWriter.write(
                tmp.resolve("optimizer.safetensors"), tensors, Map.of("format", "revise"), SafeDtype.F32);
        // PPO's critic also goes next to the policy weights, under its own names, for tools that
        // load a policy with its value head (as TRL's value-head models do)
        Map<String, SafetensorsWriter.Source> valueHead = new LinkedHashMap<>();
        for (LearnerState l : learners.values()) {
            l.stateTensors().forEach((k, v) -> {
                if (k.startsWith("value_head.")) {
                    valueHead.put(k, new TensorSource(v));
                }
            });
        }
        if (!valueHead.isEmpty()) {
            SafetensorsWriter.write(
                    tmp.resolve("value_head.safetensors"), valueHead, Map.of("format", "pt"), SafeDtype.F32);
        }
        Files.writeString(tmp.resolve("trainer_state.json"), JSON.writeValueAsString(state));
        if (prefetched != null) {
            Files.writeString(tmp.resolve(PREFETCHED), BATCH_JSON.writeValueAsString(prefetched));
        }
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("format_version", FORMAT_VERSION);
        manifest.put("revise_version", version());
        manifest.put("step", state.step());
        manifest.put("config", resolvedConfig);
        Files.writeString(tmp.resolve("manifest.json"), JSON.writeValueAsString(manifest));
    }

    /** The checkpoint {@code latest} names, or null when there is none. */
    public Path latest() {
        Path pointer = dir.resolve("latest");
        if (!Files.isRegularFile(pointer)) {
            return null;
        }
        String name;
        try {
            name = Files.readString(pointer).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(pointer + ": cannot be read", e);
        }
        Path ck = dir.resolve(name);
        if (!name.matches("step-\\d{6,}") || !Files.isDirectory(ck)) {
            throw new IllegalArgumentException(pointer + ": names '" + name + "', which is not a checkpoint directory");
        }
        return ck;
    }

    /**
     * The checkpoint a command-line argument names: a checkpoint directory itself (it has a
     * config.json), a {@code checkpoints/latest} pointer file, a run's {@code checkpoints}
     * directory or the run directory (each meaning the latest complete checkpoint). Configs do not
     * take these shortcuts: a run's starting point must not move while it trains.
     */
    public static Path resolveArgument(Path given, String option) {
        if (Files.isDirectory(given) && isModel(given)) {
            return given;
        }
        Path abs = given.toAbsolutePath().normalize();
        Path runDir = null;
        if (Files.isRegularFile(abs)
                && abs.getFileName().toString().equals("latest")
                && abs.getParent() != null
                && abs.getParent().getFileName().toString().equals("checkpoints")
                && abs.getParent().getParent() != null) {
            runDir = abs.getParent().getParent(); // <run>/checkpoints/latest
        } else if (Files.isRegularFile(abs.resolve("latest"))
                && abs.getFileName() != null
                && abs.getFileName().toString().equals("checkpoints")
                && abs.getParent() != null) {
            runDir = abs.getParent(); // <run>/checkpoints
        } else if (Files.isRegularFile(abs.resolve("checkpoints").resolve("latest"))) {
            runDir = abs;
        }
        if (runDir != null) {
            Path ck = new Checkpoints(runDir, 1).latest();
            if (ck != null && isModel(ck)) {
                return ck;
            }
        }
        throw new IllegalArgumentException(option + " " + given + ": not a checkpoint directory (no config.json"
                + " or adapter_config.json), a run directory with checkpoints, or a checkpoints/latest file");
    }

    /** A Hugging Face model directory, or a PEFT adapter directory (a LoRA run's checkpoint). */
    private static boolean isModel(Path dir) {
        return Files.isRegularFile(dir.resolve("config.json"))
                || dev.revise.policies.lora.PeftAdapterConfig.isAdapter(dir);
    }

    /** The manifest's resolved config text; the error names the file and the field. */
    public static String manifestConfig(Path checkpoint) {
        JsonNode m = readJson(checkpoint.resolve("manifest.json"));
        JsonNode v = m.get("format_version");
        if (v == null || v.asInt() != FORMAT_VERSION) {
            throw new IllegalArgumentException(checkpoint.resolve("manifest.json") + ": format_version " + v
                    + " is not supported (expected " + FORMAT_VERSION + ")");
        }
        JsonNode c = m.get("config");
        if (c == null || !c.isTextual()) {
            throw new IllegalArgumentException(checkpoint.resolve("manifest.json") + ": config: missing");
        }
        return c.asText();
    }

    public static TrainerState trainerState(Path checkpoint) {
        Path f = checkpoint.resolve("trainer_state.json");
        try {
            return JSON.treeToValue(readJson(f), TrainerState.class);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException(f + ": not a valid trainer state: " + e.getMessage(), e);
        }
    }

    /** The next update's batch a checkpoint kept ({@code rollout.overlap: 1}), or null. */
    public static dev.revise.rl.learn.PrefetchedBatch prefetched(Path checkpoint) {
        Path f = checkpoint.resolve(PREFETCHED);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        try {
            return BATCH_JSON.readValue(f.toFile(), dev.revise.rl.learn.PrefetchedBatch.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(f + ": not a valid prefetched batch: " + e.getMessage(), e);
        }
    }

    /** Restores every learner's tensors and counters from {@code checkpoint}. */
    public static void restoreLearners(
            Path checkpoint, Map<String, LearnerState> learners, TrainerState state, NDManager manager) {
        Path f = checkpoint.resolve("optimizer.safetensors");
        try (SafetensorsFile file = SafetensorsFile.open(f);
                NDManager scope = manager.newSubManager()) {
            for (Map.Entry<String, LearnerState> l : learners.entrySet()) {
                Map<String, NDArray> tensors = new LinkedHashMap<>();
                String prefix = l.getKey() + ".";
                for (SafetensorsFile.Entry e : file.entries().values()) {
                    if (e.name().startsWith(prefix)) {
                        ByteBuffer data = file.readFloat32(e.name());
                        tensors.put(
                                e.name().substring(prefix.length()),
                                scope.create(data, new Shape(e.shape()), DataType.FLOAT32));
                    }
                }
                Map<String, Long> counters = state.counters().get(l.getKey());
                if (counters == null) {
                    throw new IllegalArgumentException(checkpoint.resolve("trainer_state.json")
                            + ": counters: no entry for learner '" + l.getKey() + "'");
                }
                try {
                    l.getValue().restoreState(tensors, counters);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(f + ": learner '" + l.getKey() + "': " + e.getMessage(), e);
                }
            }
        } catch (CheckpointException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private void prune(Path keep) throws IOException {
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> p.getFileName().toString().matches("step-\\d{6,}") && Files.isDirectory(p))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString()))
                    .forEach(all::add);
        }
        for (int i = 0; i < all.size() - keepLast; i++) {
            if (!all.get(i).equals(keep)) {
                deleteTree(all.get(i));
            }
        }
    }

    /** Refuses non-finite tensors; the check runs in the engine (a NaN or infinity makes the sum non-finite). */
    private static void requireFinite(Map<String, NDArray> tensors, String owner) {
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            double sum;
            try (NDArray s = e.getValue().sum();
                    NDArray f = s.toType(DataType.FLOAT64, true)) {
                sum = f.getDouble();
            }
            if (!Double.isFinite(sum)) {
                throw new IllegalStateException("refusing to save a checkpoint: " + owner + " tensor '" + e.getKey()
                        + "' has non-finite values");
            }
        }
    }

    private static JsonNode readJson(Path f) {
        try {
            return JSON.readTree(f.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(f + ": missing or not valid JSON: " + e.getMessage(), e);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }

    static String version() {
        String v = Checkpoints.class.getPackage().getImplementationVersion();
        return v == null ? "development build" : v;
    }
}
