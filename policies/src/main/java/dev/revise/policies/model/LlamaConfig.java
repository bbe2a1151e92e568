package dev.revise.policies.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The architecture of a Llama-family decoder: one decoder with per-family options, read from and
 * written to a Hugging Face {@code config.json} by {@link LlamaConfigJson} (which says how each key
 * maps to an option, family by family).
 *
 * <p>Options beyond the Llama core: {@code attentionBias} (bias on the Q/K/V projections: Qwen2,
 * or Llama/Qwen3 with {@code attention_bias}), {@code outputBias} (bias on o_proj: Llama/Qwen3 with
 * {@code attention_bias}), {@code mlpBias} (Llama's {@code mlp_bias}), {@code qkNorm} (Qwen3's
 * per-head RMSNorm of queries and keys before RoPE), {@code slidingWindow} (Mistral's, or Qwen's
 * when every layer slides: a query sees the last {@code slidingWindow} keys; 0 = full attention),
 * {@code ropeScaling} (the RoPE variant).
 */
public record LlamaConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        boolean outputBias,
        boolean mlpBias,
        boolean qkNorm,
        int slidingWindow,
        int maxPositionEmbeddings,
        int bosTokenId,
        List<Integer> eosTokenIds) {

    static final Set<String> MODEL_TYPES = Set.of("llama", "qwen2", "qwen3", "mistral");

    public LlamaConfig {
        require(MODEL_TYPES.contains(modelType), "model_type", "one of " + MODEL_TYPES + ", got '" + modelType + "'");
        require(vocabSize > 0, "vocab_size", "> 0, got " + vocabSize);
        require(hiddenSize > 0, "hidden_size", "> 0, got " + hiddenSize);
        require(intermediateSize > 0, "intermediate_size", "> 0, got " + intermediateSize);
        require(numHiddenLayers > 0, "num_hidden_layers", "> 0, got " + numHiddenLayers);
        require(numAttentionHeads > 0, "num_attention_heads", "> 0, got " + numAttentionHeads);
        require(
                numKeyValueHeads > 0 && numAttentionHeads % numKeyValueHeads == 0,
                "num_key_value_heads",
                "a divisor of num_attention_heads (" + numAttentionHeads + "), got " + numKeyValueHeads);
        require(headDim > 0 && headDim % 2 == 0, "head_dim", "a positive even number, got " + headDim);
        require(rmsNormEps > 0, "rms_norm_eps", "> 0, got " + rmsNormEps);
        require(ropeTheta > 0, "rope_theta", "> 0, got " + ropeTheta);
        require(slidingWindow >= 0, "sliding_window", ">= 1 or null, got " + slidingWindow);
        require(maxPositionEmbeddings > 0, "max_position_embeddings", "> 0, got " + maxPositionEmbeddings);
        require(bosTokenId >= -1 && bosTokenId < vocabSize, "bos_token_id", "in [0, vocab_size), got " + bosTokenId);
        eosTokenIds = List.copyOf(eosTokenIds);
        for (int id : eosTokenIds) {
            require(id >= 0 && id < vocabSize, "eos_token_id", "in [0, vocab_size), got " + id);
        }
        if (ropeScaling == null) {
            ropeScaling = RopeScaling.NONE;
        }
    }

    /** The layout of the first revise releases: no RoPE scaling, no o_proj/MLP bias, no qk-norm, one eos id. */
    public LlamaConfig(
            String modelType,
            int vocabSize,
            int hiddenSize,
            int intermediateSize,
            int numHiddenLayers,
            int numAttentionHeads,
            int numKeyValueHeads,
            int headDim,
            double rmsNormEps,
            double ropeTheta,
            boolean tieWordEmbeddings,
            boolean attentionBias,
            int maxPositionEmbeddings,
            int bosTokenId,
            int eosTokenId) {
        this(
                modelType,
                vocabSize,
                hiddenSize,
                intermediateSize,
                numHiddenLayers,
                numAttentionHeads,
                numKeyValueHeads,
                headDim,
                rmsNormEps,
                ropeTheta,
                RopeScaling.NONE,
                tieWordEmbeddings,
                attentionBias,
                false,
                false,
                modelType.equals("qwen3"),
                0,
                maxPositionEmbeddings,
                bosTokenId,
                eosTokenId >= 0 ? List.of(eosTokenId) : List.of());
    }

    static void require(boolean ok, String key, String expected) {
        if (!ok) {
            throw new IllegalArgumentException("config key '" + key + "' must be " + expected);
        }
    }

    public int groupSize() {
        return numAttentionHeads / numKeyValueHeads;
    }

    public int qDim() {
        return numAttentionHeads * headDim;
    }

    public int kvDim() {
        return numKeyValueHeads * headDim;
    }

    /**
     * The longest sequence revise computes: {@code max_position_embeddings}, except with dynamic NTK
     * RoPE, whose purpose is to run past it (transformers sets no limit either).
     */
    public int positionLimit() {
        return ropeScaling.type().equals("dynamic") ? 1 << 30 : maxPositionEmbeddings;
    }

    /** The canonical end-of-sequence id (the first of the list), or -1 when there is none. */
    public int eosTokenId() {
        return eosTokenIds.isEmpty() ? -1 : eosTokenIds.get(0);
    }

    /** Number of parameters (embedding counted once when tied). */
    public long parameterCount() {
        long d = hiddenSize;
        long attention = d * qDim() + 2 * d * kvDim() + (long) qDim() * d;
        if (attentionBias) {
            attention += qDim() + 2L * kvDim();
        }
        if (outputBias) {
            attention += d;
        }
        if (qkNorm) {
            attention += 2L * headDim;
        }
        long mlp = 3 * d * intermediateSize + (mlpBias ? 2L * intermediateSize + d : 0);
        long perLayer = attention + mlp + 2 * d;
        long embed = (long) vocabSize * d;
        return embed + numHiddenLayers * perLayer + d + (tieWordEmbeddings ? 0 : embed);
    }

    /** A shape with Llama defaults for everything not named (bias off, eps 1e-5, 2048 positions). */
    public static LlamaConfig of(
            int vocab, int hidden, int layers, int heads, int kvHeads, int ffn, boolean tied, double theta) {
        return new LlamaConfig(
                "llama",
                vocab,
                hidden,
                ffn,
                layers,
                heads,
                kvHeads,
                hidden / heads,
                1e-5,
                theta,
                tied,
                false,
                2048,
                -1,
                -1);
    }

    public LlamaConfig withSpecialTokens(int bos, int eos) {
        return with(d -> {
            d.bosTokenId = bos;
            d.eosTokenIds = eos >= 0 ? List.of(eos) : List.of();
        });
    }

    public LlamaConfig withMaxPositions(int positions) {
        return with(d -> d.maxPositionEmbeddings = positions);
    }

    /** A copy with another family and its family options (for random shapes of Qwen/Mistral layout). */
    public LlamaConfig withFamily(
            String type, boolean qkvBias, boolean oBias, boolean mlpBiasOn, boolean qkNormOn, int window) {
        return with(d -> {
            d.modelType = type;
            d.attentionBias = qkvBias;
            d.outputBias = oBias;
            d.mlpBias = mlpBiasOn;
            d.qkNorm = qkNormOn;
            d.slidingWindow = window;
        });
    }

    public LlamaConfig withRope(double theta, RopeScaling scaling) {
        return with(d -> {
            d.ropeTheta = theta;
            d.ropeScaling = scaling;
        });
    }

    public LlamaConfig withHeadDim(int dim) {
        return with(d -> d.headDim = dim);
    }

    public LlamaConfig withRmsNormEps(double eps) {
        return with(d -> d.rmsNormEps = eps);
    }

    public LlamaConfig withEosTokenIds(List<Integer> ids) {
        return with(d -> d.eosTokenIds = ids);
    }

    /** A copy with the fields {@code change} sets; the canonical constructor checks the result. */
    private LlamaConfig with(java.util.function.Consumer<Draft> change) {
        Draft d = new Draft(this);
        change.accept(d);
        return d.build();
    }

    /** The fields of a config being changed. */
    private static final class Draft {
        String modelType;
        int vocabSize;
        int hiddenSize;
        int intermediateSize;
        int numHiddenLayers;
        int numAttentionHeads;
        int numKeyValueHeads;
        int headDim;
        double rmsNormEps;
        double ropeTheta;
        RopeScaling ropeScaling;
        boolean tieWordEmbeddings;
        boolean attentionBias;
        boolean outputBias;
        boolean mlpBias;
        boolean qkNorm;
        int slidingWindow;
        int maxPositionEmbeddings;
        int bosTokenId;
        List<Integer> eosTokenIds;

        Draft(LlamaConfig c) {
            modelType = c.modelType;
            vocabSize = c.vocabSize;
            hiddenSize = c.hiddenSize;
            intermediateSize = c.intermediateSize;
            numHiddenLayers = c.numHiddenLayers;
            numAttentionHeads = c.numAttentionHeads;
            numKeyValueHeads = c.numKeyValueHeads;
            headDim = c.headDim;
            rmsNormEps = c.rmsNormEps;
            ropeTheta = c.ropeTheta;
            ropeScaling = c.ropeScaling;
            tieWordEmbeddings = c.tieWordEmbeddings;
            attentionBias = c.attentionBias;
            outputBias = c.outputBias;
            mlpBias = c.mlpBias;
            qkNorm = c.qkNorm;
            slidingWindow = c.slidingWindow;
            maxPositionEmbeddings = c.maxPositionEmbeddings;
            bosTokenId = c.bosTokenId;
            eosTokenIds = c.eosTokenIds;
        }

        LlamaConfig build() {
            return new LlamaConfig(
                    modelType,
                    vocabSize,
                    hiddenSize,
                    intermediateSize,
                    numHiddenLayers,
                    numAttentionHeads,
                    numKeyValueHeads,
                    headDim,
                    rmsNormEps,
                    ropeTheta,
                    ropeScaling,
                    tieWordEmbeddings,
                    attentionBias,
                    outputBias,
                    mlpBias,
                    qkNorm,
                    slidingWindow,
                    maxPositionEmbeddings,
                    bosTokenId,
                    eosTokenIds);
        }
    }

    /** Reads {@code config.json}; errors name the file, the key and the value. */
    public static LlamaConfig read(Path file) {
        return LlamaConfigJson.read(file).config();
    }

    /** Writes {@code config.json} in the Hugging Face layout, declaring the weights' {@code dtype}. */
    public void write(Path file, String dtype) throws IOException {
        LlamaConfigJson.write(this, file, dtype);
    }

    /** Writes {@code config.json} declaring float32 weights. */
    public void write(Path file) throws IOException {
        write(file, "float32");
    }
}
