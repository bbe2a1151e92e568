package dev.revise.policies;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.revise.policies.checkpoint.CheckpointException;
import dev.revise.policies.checkpoint.CheckpointWeights;
import dev.revise.policies.checkpoint.GenerationConfig;
import dev.revise.policies.checkpoint.SafeDtype;
import dev.revise.policies.checkpoint.ShardedWriter;
import dev.revise.policies.generation.LlamaGenerator;
import dev.revise.policies.lora.LoraAdapter;
import dev.revise.policies.lora.PeftAdapterConfig;
import dev.revise.policies.model.LlamaConfig;
import dev.revise.policies.model.LlamaConfigJson;
import dev.revise.policies.model.LlamaModel;
import dev.revise.policies.tokenizer.CharTokenizer;
import dev.revise.policies.tokenizer.ChatFormat;
import dev.revise.policies.tokenizer.HfChatTemplate;
import dev.revise.policies.tokenizer.Tokenizers;
import dev.revise.rl.Generator;
import dev.revise.rl.Message;
import dev.revise.rl.Policy;
import dev.revise.rl.ScoreOptions;
import dev.revise.rl.TextTokenizer;
import dev.revise.rl.TokenBatch;
import dev.revise.rl.TokenScores;
import dev.revise.rl.train.TensorConstants;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A {@link Policy} backed by a {@link LlamaModel}, its tokenizer and a chat format. Generation
 * stops at any id of the config's {@code eos_token_id} list, of {@code generation_config.json}'s,
 * and at the chat template's end-of-turn token ({@link #stopTokenIds()}).
 */
public final class LlamaPolicy implements Policy {
    /** Files of a Hugging Face directory besides the weights that loading the result needs; copied on save. */
    static final List<String> COMPANION_FILES = List.of(
            "tokenizer_config.json",
            "special_tokens_map.json",
            "chat_template.jinja",
            "added_tokens.json",
            "vocab.json",
            "merges.txt",
            "tokenizer.model",
            GenerationConfig.FILE);

    private final LlamaModel model;
    private final TextTokenizer tokenizer;
    private final Path tokenizerSource;
    private final ChatFormat chatFormat;
    private final LlamaGenerator generator;
    private final GenerationConfig generation;
    private final Set<Integer> stopTokenIds;
    private final SafeDtype sourceDtype;
    private final LoraAdapter adapter; // null: the model's own weights are trained
    private final boolean ownsModel; // false for a view (the base of a LoRA policy)
    private volatile long version;

    public LlamaPolicy(LlamaModel model, TextTokenizer tokenizer, Path tokenizerSource, ChatFormat chatFormat) {
        this(model, tokenizer, tokenizerSource, chatFormat, GenerationConfig.NONE, SafeDtype.F32, null, true);
    }

    private LlamaPolicy(
            LlamaModel model,
            TextTokenizer tokenizer,
            Path tokenizerSource,
            ChatFormat chatFormat,
            GenerationConfig generation,
            SafeDtype sourceDtype,
            LoraAdapter adapter,
            boolean ownsModel) {
        if (tokenizer.vocabSize() > model.config().vocabSize()) {
            throw new IllegalArgumentException("tokenizer has " + tokenizer.vocabSize()
                    + " tokens but the model's vocab_size is " + model.config().vocabSize());
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.tokenizerSource = tokenizerSource;
        this.chatFormat = chatFormat;
        this.generator = new LlamaGenerator(model, tokenizer, adapter);
        this.generation = generation;
        this.sourceDtype = sourceDtype;
        this.adapter = adapter;
        this.ownsModel = ownsModel;
        Set<Integer> stops = new TreeSet<>(model.config().eosTokenIds());
        stops.addAll(generation.eosTokenIds());
        String eot = chatFormat.endOfTurn();
        if (!eot.isEmpty()) {
            tokenizer.tokenId(eot).ifPresent(stops::add);
        }
        this.stopTokenIds = Collections.unmodifiableSet(stops);
    }

    /**
     * Loads a Hugging Face checkpoint directory: config.json, the weights (single or sharded
     * safetensors), tokenizer.json, generation_config.json, and the chat template of
     * chat_template.jinja or tokenizer_config.json when there is one (else ChatML).
     */
    public static LlamaPolicy load(Path dir, NDManager parent, DeviceSpec device) {
        return load(dir, dir, parent, device);
    }

    /** As {@link #load(Path, NDManager, DeviceSpec)}, with the weights of {@code weightsDir} (a float32 master copy). */
    public static LlamaPolicy load(Path dir, Path weightsDir, NDManager parent, DeviceSpec device) {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException(dir + ": not a checkpoint directory");
        }
        if (PeftAdapterConfig.isAdapter(dir) && !CheckpointWeights.exists(dir)) {
            return loadAdapter(dir, parent, device);
        }
        TextTokenizer tokenizer = Tokenizers.load(dir.resolve("tokenizer.json"));
        ChatFormat chat = HfChatTemplate.load(dir).<ChatFormat>map(t -> t).orElse(ChatFormat.CHATML);
        GenerationConfig generation = GenerationConfig.read(dir);
        SafeDtype stored = storedDtype(dir);
        LlamaModel model = LlamaModel.load(dir, weightsDir, parent, device.toDevice(), device.dataType());
        try {
            return new LlamaPolicy(
                    model, tokenizer, dir.resolve("tokenizer.json"), chat, generation, stored, null, true);
        } catch (IllegalArgumentException e) {
            model.close();
            throw new CheckpointException(dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * A PEFT adapter directory: the base its {@code base_model_name_or_path} names (a local
     * checkpoint directory, absolute or relative to the working directory as in PEFT) with the
     * adapter's updates, unmerged. The tokenizer and chat template are the base's.
     */
    private static LlamaPolicy loadAdapter(Path dir, NDManager parent, DeviceSpec device) {
        PeftAdapterConfig peft = PeftAdapterConfig.read(dir);
        String baseName = peft.baseModelNameOrPath();
        Path file = dir.resolve(PeftAdapterConfig.FILE);
        if (baseName == null || baseName.isBlank()) {
            throw new CheckpointException(file + ": no base_model_name_or_path; revise needs the base's directory");
        }
        Path base = Path.of(baseName);
        if (!Files.isRegularFile(base.resolve("config.json"))) {
            throw new CheckpointException(file + ": base_model_name_or_path '" + baseName
                    + "' is not a checkpoint directory here (revise loads bases from local directories:"
                    + " download a Hub model first and point this field at it)");
        }
        LlamaPolicy loaded = load(base, parent, device);
        try {
            return loaded.withAdapter(
                    LoraAdapter.load(dir, loaded.config(), parent, device.toDevice(), device.dataType()));
        } catch (RuntimeException e) {
            loaded.close();
            throw e;
        }
    }

    /**
     * Writes a PEFT adapter directory (adapter_config.json naming {@code baseModelNameOrPath},
     * adapter_model.safetensors) with the tokenizer files beside it, as PEFT's trainers do.
     */
    public void saveAdapter(Path dir, String baseModelNameOrPath) throws IOException {
        if (adapter == null) {
            throw new IllegalStateException("this policy has no adapter");
        }
        adapter.save(dir, baseModelNameOrPath);
        saveTokenizer(dir);
    }

    /** The same model, tokenizer and generation settings, rendering conversations with {@code format}. */
    public LlamaPolicy withChatFormat(ChatFormat format) {
        return new LlamaPolicy(model, tokenizer, tokenizerSource, format, generation, sourceDtype, adapter, ownsModel);
    }

    /**
     * This policy with {@code adapter} trained in place of the model's weights, which are frozen
     * (no gradients, no optimizer state). Takes ownership of both; this policy must not be used
     * after.
     */
    public LlamaPolicy withAdapter(LoraAdapter adapter) {
        if (this.adapter != null) {
            throw new IllegalStateException("the policy already has an adapter");
        }
        if (!adapter.base().equals(model.config())) {
            throw new IllegalArgumentException("the adapter was made for another architecture");
        }
        model.parameters().values().forEach(p -> p.setRequiresGradient(false));
        LlamaPolicy p = new LlamaPolicy(
                model, tokenizer, tokenizerSource, chatFormat, generation, sourceDtype, adapter, ownsModel);
        p.version = version;
        return p;
    }

    /** The adapter this policy trains, or null when it trains the model's own weights. */
    public LoraAdapter adapter() {
        return adapter;
    }

    /**
     * The base model without the adapter, sharing its weights (no copy): a LoRA run's frozen
     * reference. Closing it closes nothing; it lives as long as this policy.
     */
    public LlamaPolicy base() {
        if (adapter == null) {
            throw new IllegalStateException("a policy without an adapter is its own base");
        }
        return new LlamaPolicy(model, tokenizer, tokenizerSource, chatFormat, generation, sourceDtype, null, false);
    }

    /**
     * The dtype the checkpoint's weights were stored in ({@code torch_dtype}/{@code dtype} of its
     * config.json, else the type of its tensors); float32 for random weights.
     */
    public SafeDtype sourceDtype() {
        return sourceDtype;
    }

    private static SafeDtype storedDtype(Path dir) {
        String declared = LlamaConfigJson.read(dir.resolve("config.json")).dtype();
        if (declared != null) {
            switch (declared) {
                case "float32", "float":
                    return SafeDtype.F32;
                case "bfloat16":
                    return SafeDtype.BF16;
                case "float16", "half":
                    return SafeDtype.F16;
                default:
                    throw new CheckpointException(dir.resolve("config.json") + ": dtype '" + declared
                            + "' is not a weight type revise writes (float32, bfloat16, float16)");
            }
        }
        try (CheckpointWeights w = CheckpointWeights.open(dir)) {
            Set<SafeDtype> types = w.dtypes();
            return types.size() == 1 && types.iterator().next() != SafeDtype.F64
                    ? types.iterator().next()
                    : SafeDtype.F32;
        }
    }

    /** Token ids that end a turn: the eos ids of config.json and generation_config.json, and the template's end of turn. */
    public Set<Integer> stopTokenIds() {
        return stopTokenIds;
    }

    /** Writes config.json, a single float32 model.safetensors, the tokenizer and its companion files. */
    public void save(Path dir) throws IOException {
        save(dir, SafeDtype.F32, ShardedWriter.DEFAULT_MAX_SHARD_BYTES);
    }

    /**
     * Writes a directory transformers and vLLM load: config.json (declaring {@code storage}), the
     * weights as {@code storage} sharded above {@code maxShardBytes}, tokenizer.json and the files a
     * user needs beside it ({@link #COMPANION_FILES}, copied from the checkpoint this policy was
     * loaded from; generation_config.json written from the config when there was none).
     */
    public void save(Path dir, SafeDtype storage, long maxShardBytes) throws IOException {
        Files.createDirectories(dir);
        model.save(dir, storage, maxShardBytes);
        saveTokenizer(dir);
        if (!Files.exists(dir.resolve(GenerationConfig.FILE))) {
            // as transformers derives one from config.json
            new GenerationConfig(model.config().bosTokenId(), model.config().eosTokenIds()).write(dir);
        }
    }

    /** tokenizer.json and its {@link #COMPANION_FILES}, copied from where this policy's tokenizer came from. */
    private void saveTokenizer(Path dir) throws IOException {
        Path sourceDir = tokenizerSource == null
                ? null
                : tokenizerSource.toAbsolutePath().getParent();
        boolean sameDir = sourceDir != null
                && sourceDir.normalize().equals(dir.toAbsolutePath().normalize());
        Path source = tokenizerSource != null && Files.exists(tokenizerSource) && !sameDir ? tokenizerSource : null;
        if (source != null || tokenizer instanceof CharTokenizer) {
            Tokenizers.save(tokenizer, source, dir);
        }
        if (source != null) {
            for (String f : COMPANION_FILES) {
                Path from = sourceDir.resolve(f);
                if (Files.isRegularFile(from)) {
                    Files.copy(from, dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    public LlamaModel model() {
        return model;
    }

    public LlamaConfig config() {
        return model.config();
    }

    @Override
    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    public ChatFormat chatFormat() {
        return chatFormat;
    }

    @Override
    public String render(List<Message> conversation) {
        return chatFormat.render(conversation);
    }

    @Override
    public Generator generator() {
        return generator;
    }

    @Override
    public NDManager manager() {
        return model.manager();
    }

    @Override
    public Map<String, NDArray> parameters() {
        return adapter != null ? adapter.parameters() : model.parameters();
    }

    @Override
    public TokenScores score(NDManager scope, TokenBatch batch, ScoreOptions options) {
        int b = batch.size();
        int t = batch.maxLength();
        int vocab = model.config().vocabSize();
        if (t > model.config().positionLimit()) {
            throw new IllegalArgumentException("sequence of " + t + " tokens exceeds max_position_embeddings "
                    + model.config().maxPositionEmbeddings());
        }
        long[] ids = new long[b * t];
        long[] targets = new long[b * (t - 1)];
        long[] positions = new long[b * t];
        float[] mask = new float[b * (t - 1)];
        for (int i = 0; i < b; i++) {
            int[] row = batch.rows()[i];
            for (int j = 0; j < t; j++) {
                int id = j < row.length ? row[j] : 0;
                if (id < 0 || id >= vocab) {
                    throw new IllegalArgumentException("token id " + id + " (row " + i + ", position " + j
                            + ") is outside the vocabulary of " + vocab);
                }
                ids[i * t + j] = id;
                positions[i * t + j] = j;
                if (j > 0) {
                    targets[i * (t - 1) + j - 1] = id;
                    mask[i * (t - 1) + j - 1] = j < row.length ? 1f : 0f;
                }
            }
        }
        boolean training = JniUtils.isGradMode();
        NDArray idArray = scope.create(ids, new Shape(b, t));
        NDArray posArray = scope.create(positions, new Shape(b, t));
        NDArray targetArray = scope.create(targets, new Shape(b, t - 1, 1));
        NDArray maskArray = scope.create(mask, new Shape(b, t - 1));
        if (training && adapter != null && adapter.config().dropout() > 0) {
            // the dropout masks of a batch depend on its tokens and the version only, so a resumed
            // run draws the ones the uninterrupted run drew
            JniUtils.setSeed(dropoutSeed(batch));
        }
        NDArray hidden = model.forward(
                scope, idArray, posArray, model.causalBias(scope, t), null, 0, training, adapter); // (B, T, D)
        NDArray logits = model.logits(hidden.get(":, :-1, :")); // (B, T-1, V)
        if (options.temperature() != 1.0) {
            // divided as the sampler divides, so both see the same bits; a tensor in the scope, not
            // div(float): see TensorConstants
            logits = logits.div(TensorConstants.scoped(scope, (float) options.temperature()));
        }
        NDArray logp = logits.logSoftmax(-1); // (B, T-1, V)
        NDArray tokenLogp = logp.gather(targetArray, -1).reshape(b, t - 1); // (B, T-1)
        NDArray entropy = null;
        if (options.entropy()) {
            entropy = logp.exp().mul(logp).sum(new int[] {-1}).neg(); // (B, T-1)
        }
        return new TokenScores(
                tokenLogp,
                maskArray,
                entropy,
                options.hiddenStates() ? hidden : null,
                options.fullLogProbs() ? logp : null);
    }

    @Override
    public void backward(ai.djl.training.GradientCollector collector, NDArray loss) {
        collector.backward(loss);
        model.backward(); // with activation checkpointing: the recomputed blocks
    }

    private long dropoutSeed(TokenBatch batch) {
        long h = 0x9E3779B97F4A7C15L * (version + 1);
        for (int[] row : batch.rows()) {
            h = h * 31 + java.util.Arrays.hashCode(row);
        }
        return h;
    }

    @Override
    public void parametersUpdated() {
        if (adapter == null) {
            model.parametersChanged();
        } else {
            model.adapterChanged(); // the base's cached fused weights stay valid under LoRA
        }
        version++;
    }

    @Override
    public long version() {
        return version;
    }

    /** The trained parameters (the adapter's, under LoRA) as float32 bytes. */
    @Override
    public byte[] snapshot() {
        return bytesOf(parameters());
    }

    /** The base model's weights as float32 bytes (under LoRA, what an actor needs once besides the adapter). */
    public byte[] baseSnapshot() {
        return bytesOf(model.parameters());
    }

    private static byte[] bytesOf(Map<String, NDArray> params) {
        return dev.revise.policies.checkpoint.NativeTensors.float32Bytes(params.values());
    }

    /** Replaces the trained parameters (the adapter's, under LoRA) by a {@link #snapshot()}. */
    @Override
    public void restore(byte[] snapshot, long newVersion) {
        restoreInto(parameters(), snapshot);
        if (adapter == null) {
            model.parametersChanged();
        } else {
            model.adapterChanged();
        }
        this.version = newVersion;
    }

    /** Replaces the base model's weights by a {@link #baseSnapshot()}. */
    public void restoreBase(byte[] snapshot) {
        restoreInto(model.parameters(), snapshot);
        model.parametersChanged();
    }

    private void restoreInto(Map<String, NDArray> params, byte[] snapshot) {
        long total = 0;
        for (NDArray p : params.values()) {
            total += p.size() * 4;
        }
        if (snapshot.length != total) {
            throw new IllegalArgumentException(
                    "snapshot has " + snapshot.length + " bytes, this policy needs " + total);
        }
        int offset = 0;
        try (NDManager scope = model.manager().newSubManager()) {
            for (NDArray p : params.values()) {
                int bytes = Math.toIntExact(p.size() * 4);
                ByteBuffer buf = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
                buf.put(snapshot, offset, bytes).flip();
                NDArray src = scope.create(buf, p.getShape(), DataType.FLOAT32).toType(p.getDataType(), false);
                boolean wasGrad = JniUtils.isGradMode();
                JniUtils.setGradMode(false);
                try {
                    p.set(new ai.djl.ndarray.index.NDIndex("..."), src);
                } finally {
                    JniUtils.setGradMode(wasGrad);
                }
                offset += bytes;
            }
        }
    }

    @Override
    public void close() {
        if (!ownsModel) {
            return;
        }
        if (adapter != null) {
            adapter.close();
        }
        model.close();
        if (tokenizer instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing tokenizer failed", e);
            }
        }
    }
}
