package dev.revise.policies;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.revise.policies.checkpoint.CheckpointException;
import dev.revise.policies.generation.LlamaGenerator;
import dev.revise.policies.model.LlamaConfig;
import dev.revise.policies.model.LlamaModel;
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
import java.util.List;
import java.util.Map;

/** A {@link Policy} backed by a {@link LlamaModel}, its tokenizer and a chat format. */
public final class LlamaPolicy implements Policy {
    private final LlamaModel model;
    private final TextTokenizer tokenizer;
    private final Path tokenizerSource;
    private final ChatFormat chatFormat;
    private final LlamaGenerator generator;
    private volatile long version;

    public LlamaPolicy(LlamaModel model, TextTokenizer tokenizer, Path tokenizerSource, ChatFormat chatFormat) {
        if (tokenizer.vocabSize() > model.config().vocabSize()) {
            throw new IllegalArgumentException("tokenizer has " + tokenizer.vocabSize()
                    + " tokens but the model's vocab_size is " + model.config().vocabSize());
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.tokenizerSource = tokenizerSource;
        this.chatFormat = chatFormat;
        this.generator = new LlamaGenerator(model, tokenizer);
    }

    /**
     * Loads a Hugging Face checkpoint directory: config.json, model.safetensors, tokenizer.json, and
     * the chat template of tokenizer_config.json when there is one (else ChatML).
     */
    public static LlamaPolicy load(Path dir, NDManager parent, DeviceSpec device) {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException(dir + ": not a checkpoint directory");
        }
        TextTokenizer tokenizer = Tokenizers.load(dir.resolve("tokenizer.json"));
        ChatFormat chat = HfChatTemplate.load(dir).<ChatFormat>map(t -> t).orElse(ChatFormat.CHATML);
        LlamaModel model = LlamaModel.load(dir, parent, device.toDevice(), device.dataType());
        try {
            return new LlamaPolicy(model, tokenizer, dir.resolve("tokenizer.json"), chat);
        } catch (IllegalArgumentException e) {
            model.close();
            throw new CheckpointException(dir + ": " + e.getMessage(), e);
        }
    }

    /** Writes config.json, model.safetensors and tokenizer.json into {@code dir}. */
    public void save(Path dir) throws IOException {
        model.save(dir);
        Path source = tokenizerSource != null
                        && Files.exists(tokenizerSource)
                        && !tokenizerSource
                                .toAbsolutePath()
                                .normalize()
                                .equals(dir.resolve("tokenizer.json")
                                        .toAbsolutePath()
                                        .normalize())
                ? tokenizerSource
                : null;
        if (source != null || tokenizer instanceof dev.revise.policies.tokenizer.CharTokenizer) {
            Tokenizers.save(tokenizer, source, dir);
        }
        if (source != null) {
            // Keeps the model's own chat template (and special-token settings) with the weights.
            Path config = source.resolveSibling("tokenizer_config.json");
            if (Files.exists(config)) {
                Files.copy(
                        config,
                        dir.resolve("tokenizer_config.json"),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
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
        return model.parameters();
    }

    @Override
    public TokenScores score(NDManager scope, TokenBatch batch, ScoreOptions options) {
        int b = batch.size();
        int t = batch.maxLength();
        int vocab = model.config().vocabSize();
        if (t > model.config().maxPositionEmbeddings()) {
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
        NDArray hidden =
                model.forward(scope, idArray, posArray, model.causalBias(scope, t), null, 0, training); // (B, T, D)
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
    public void parametersUpdated() {
        model.parametersChanged();
        version++;
    }

    @Override
    public long version() {
        return version;
    }

    @Override
    public byte[] snapshot() {
        long total = 0;
        for (NDArray p : model.parameters().values()) {
            total += p.size() * 4;
        }
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(total)).order(ByteOrder.nativeOrder());
        for (NDArray p : model.parameters().values()) {
            out.put(model.float32Bytes(p));
        }
        return out.array();
    }

    @Override
    public void restore(byte[] snapshot, long newVersion) {
        long total = 0;
        for (NDArray p : model.parameters().values()) {
            total += p.size() * 4;
        }
        if (snapshot.length != total) {
            throw new IllegalArgumentException(
                    "snapshot has " + snapshot.length + " bytes, this policy needs " + total);
        }
        int offset = 0;
        try (NDManager scope = model.manager().newSubManager()) {
            for (NDArray p : model.parameters().values()) {
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
        model.parametersChanged();
        this.version = newVersion;
    }

    @Override
    public void close() {
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
