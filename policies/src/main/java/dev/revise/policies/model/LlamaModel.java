package dev.revise.policies.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.revise.policies.checkpoint.SafeDtype;
import dev.revise.policies.checkpoint.ShardedWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A Llama-family decoder written with NDArray ops: token embedding, N blocks of [RMSNorm, Q/K/V
 * (optional bias), optional per-head RMSNorm of Q and K (Qwen3), rotate-half RoPE (with the
 * scaling variants of {@link RotaryEmbedding}), causal grouped-query attention (optionally over a
 * sliding window), output projection (optional bias), residual, RMSNorm, SwiGLU MLP (optional
 * biases), residual], final RMSNorm and an LM head (tied or untied). {@link LlamaConfig} names the
 * per-family options.
 *
 * <p>Parameters carry their Hugging Face names. The forward pass uses fused Q/K/V and gate/up
 * matrices: built inside the caller's scope (so gradients flow to the named parameters) when
 * recording gradients, and cached for inference until {@link #parametersChanged()}.
 *
 * <p>Two tricks keep the op count per token low: rotate_half is a matmul with a fixed signed
 * permutation, and the attention scale 1/sqrt(Dh) is folded into the RoPE tables as Dh^-1/4 on
 * both q and k (keys in the KV cache are therefore stored pre-scaled).
 */
public final class LlamaModel implements AutoCloseable {
    private static final float MASKED = -1e9f;
    private static final int INITIAL_ROPE_POSITIONS = 512;

    private final LlamaConfig config;
    private final DataType dtype;
    private final NDManager manager;
    private final Map<String, NDArray> parameters;
    private final RotaryEmbedding rope;
    private final double ropeScale; // Dh^-1/4: the attention scale, split between q and k
    private NDArray cosTable; // (P, Dh), scaled by Dh^-1/4 and the RoPE attention scaling
    private NDArray sinTable;
    private int ropePositions;
    private final List<NDArray> retiredTables = new ArrayList<>(); // other threads may still read them
    private final NDArray rotateHalf; // (Dh, Dh): x @ R == cat(-x2, x1)
    private NDArray causal; // (1, 1, 1, n, n), n = causalSize
    private int causalSize;
    private final NDArray normEps; // D * rms_norm_eps, scalar
    private final NDArray sqrtHidden; // sqrt(D), scalar
    private final NDArray headNormEps; // Dh * rms_norm_eps, scalar (Qwen3's q/k norm)
    private final NDArray sqrtHeadDim; // sqrt(Dh), scalar
    private CheckpointedForward checkpointing; // null: training keeps every layer's activations
    private LoraDelta.Frozen frozenAdapter; // what sampling reuses of the adapter, until it changes
    private NDManager inferenceManager;
    private List<LayerWeights> inferenceWeights;
    private NDArray inferenceFinalNorm;

    /**
     * The weights of one block in the fused layout the forward pass uses; null norm scales are
     * folded into the next matrix, whose scale {@code inputScale}/{@code postScale} still give (a
     * LoRA adapter's A reads the scaled input).
     */
    record LayerWeights(
            NDArray inputScale,
            NDArray postScale,
            NDArray inputNorm,
            NDArray qkv,
            NDArray qkvBias,
            NDArray qkNorm, // (H + K, Dh): q_norm for the query heads, k_norm for the key heads; or null
            NDArray o,
            NDArray oBias,
            NDArray postNorm,
            NDArray gateUp,
            NDArray gateUpBias,
            NDArray down,
            NDArray downBias) {}

    LlamaModel(LlamaConfig config, DataType dtype, Map<String, NDArray> parameters, NDManager manager) {
        this.config = config;
        this.dtype = dtype;
        this.manager = manager;
        this.parameters = Collections.unmodifiableMap(parameters);
        int dh = config.headDim();
        this.rope = RotaryEmbedding.of(config);
        this.ropeScale = Math.pow(dh, -0.25);
        int half = dh / 2;
        float[] r = new float[dh * dh];
        for (int i = 0; i < half; i++) {
            r[(i + half) * dh + i] = -1f; // out[i] = -x[i + half]
            r[i * dh + i + half] = 1f; // out[i + half] = x[i]
        }
        this.rotateHalf = owned(manager, dtype, r, dh, dh);
        this.normEps = owned(manager, dtype, new float[] {(float) (config.hiddenSize() * config.rmsNormEps())});
        this.sqrtHidden = owned(manager, dtype, new float[] {(float) Math.sqrt(config.hiddenSize())});
        this.headNormEps = owned(manager, dtype, new float[] {(float) (dh * config.rmsNormEps())});
        this.sqrtHeadDim = owned(manager, dtype, new float[] {(float) Math.sqrt(dh)});
        growRope(Math.min(config.maxPositionEmbeddings(), INITIAL_ROPE_POSITIONS));
    }

    /** The Hugging Face names of the parameters of {@code config}, in checkpoint order, with shapes. */
    public static Map<String, long[]> parameterShapes(LlamaConfig c) {
        return ModelWeightsIo.parameterShapes(c);
    }

    /**
     * Hugging Face's default initialisation: normal(0, 0.02) matrices and embeddings, ones for norm
     * weights, zeros for biases; drawn in Java from {@code seed}, so the same seed gives the same
     * weights on any device.
     */
    public static LlamaModel random(LlamaConfig config, NDManager parent, Device device, long seed) {
        return random(config, parent, device, DataType.FLOAT32, seed);
    }

    /** As {@link #random(LlamaConfig, NDManager, Device, long)}, with weights stored as {@code dtype}. */
    public static LlamaModel random(LlamaConfig config, NDManager parent, Device device, DataType dtype, long seed) {
        return ModelWeightsIo.random(config, parent, device, dtype, seed);
    }

    /** Loads a Hugging Face checkpoint directory (config.json, single or sharded safetensors). */
    public static LlamaModel load(Path dir, NDManager parent, Device device) {
        return load(dir, parent, device, DataType.FLOAT32);
    }

    /**
     * As {@link #load(Path, NDManager, Device)}, with weights stored as {@code dtype} (float16 or
     * bfloat16 halve the memory of inference copies: rollout workers, the reference model; the
     * trained policy stays float32 so AdamW updates are not lost to rounding).
     */
    public static LlamaModel load(Path dir, NDManager parent, Device device, DataType dtype) {
        return ModelWeightsIo.load(dir, dir, parent, device, dtype);
    }

    /** The architecture of {@code dir}'s config.json with the weights of {@code weightsDir}. */
    public static LlamaModel load(Path dir, Path weightsDir, NDManager parent, Device device, DataType dtype) {
        return ModelWeightsIo.load(dir, weightsDir, parent, device, dtype);
    }

    /**
     * Writes {@code config.json} and the weights in {@code storage} (F32, BF16 or F16, rounded to
     * nearest even from the float32 values), sharded above {@code maxShardBytes} as transformers
     * does. The model's own weights are not changed.
     */
    public void save(Path dir, SafeDtype storage, long maxShardBytes) throws IOException {
        ModelWeightsIo.save(this, dir, storage, maxShardBytes);
    }

    /** Writes {@code config.json} and a single float32 {@code model.safetensors} (below 5 GB). */
    public void save(Path dir) throws IOException {
        save(dir, SafeDtype.F32, ShardedWriter.DEFAULT_MAX_SHARD_BYTES);
    }

    public LlamaConfig config() {
        return config;
    }

    /** The element type of the weights (float32 unless loaded for inference in half precision). */
    public DataType dtype() {
        return dtype;
    }

    /** A parameter's values as little-endian float32 bytes, whatever its storage type. */
    public byte[] float32Bytes(NDArray p) {
        if (p.getDataType() == DataType.FLOAT32) {
            return p.toByteArray();
        }
        try (NDArray f = p.toType(DataType.FLOAT32, true)) {
            return f.toByteArray();
        }
    }

    public NDManager manager() {
        return manager;
    }

    public Map<String, NDArray> parameters() {
        return parameters;
    }

    public NDArray parameter(String name) {
        NDArray p = parameters.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no parameter '" + name + "'");
        }
        return p;
    }

    /**
     * With {@code on}, training forward passes keep only each block's input and recompute the block
     * during {@link #backward}; gradients are those of full back-propagation.
     */
    public synchronized void setActivationCheckpointing(boolean on) {
        checkpointing = on ? new CheckpointedForward(this) : null;
    }

    public boolean activationCheckpointing() {
        return checkpointing != null;
    }

    /**
     * Completes back-propagation after the caller's {@code backward(loss)}: with activation
     * checkpointing, recomputes the blocks of every training forward pass since the last call,
     * last block first, and back-propagates through them; otherwise nothing to do.
     */
    public void backward() {
        if (checkpointing != null) {
            checkpointing.backward();
        }
    }

    /** The inference-time products of {@code adapter}, built on first use after each change. */
    private synchronized LoraDelta.Frozen frozen(LowRankAdapter adapter) {
        if (frozenAdapter == null || !frozenAdapter.isFor(adapter)) {
            adapterChanged();
            NDManager m = manager.newSubManager();
            m.setName("lora-inference-products");
            frozenAdapter = new LoraDelta.Frozen(m, adapter);
        }
        return frozenAdapter;
    }

    /**
     * True when rotary tables depend on the sequence length (dynamic NTK scaling): keys cached at
     * one length then differ from a recomputation at another, so a cache must not outlive a call.
     */
    public boolean lengthDependentRope() {
        return rope.lengthDependent();
    }

    /** Drops what sampling cached of an adapter; call after its values change (a step, a restore). */
    public synchronized void adapterChanged() {
        if (frozenAdapter != null) {
            frozenAdapter.close();
            frozenAdapter = null;
        }
    }

    /** Drops the cached fused inference weights; call after parameters change in place. */
    public synchronized void parametersChanged() {
        adapterChanged(); // the products fold in the base's norm scales
        if (inferenceManager != null) {
            inferenceManager.close();
            inferenceManager = null;
            inferenceWeights = null;
            inferenceFinalNorm = null;
        }
    }

    /**
     * Runs the decoder.
     *
     * @param scope where every result and temporary of this call lives
     * @param ids (B, T) int64 token ids
     * @param positions (B, T) int64 rotary positions
     * @param bias additive attention bias broadcastable to (B, 1, 1, T, S), 0 or very negative; S is
     *     T without a cache, or start + T with one. Null only for a single new token (T = 1) that
     *     may see every cached key.
     * @param cache the KV cache to write at [start, start + T) and attend over, or null
     * @param start the cache position of the first of the T tokens
     * @param training build the weights inside {@code scope} so that gradients reach the parameters
     * @return (B, T, D) final hidden states after the last RMSNorm
     */
    public NDArray forward(
            NDManager scope, NDArray ids, NDArray positions, NDArray bias, KvCache cache, int start, boolean training) {
        return forward(scope, ids, positions, bias, cache, start, training, null);
    }

    /**
     * As {@link #forward(NDManager, NDArray, NDArray, NDArray, KvCache, int, boolean)}, with each
     * projection the adapter targets computed as W x + s B A dropout(x) (PEFT's unmerged LoRA). With
     * an adapter the base is frozen: its cached fused weights serve training too, so no weight is
     * copied per step and gradients reach only the adapter. Null: the base alone.
     */
    public NDArray forward(
            NDManager scope,
            NDArray ids,
            NDArray positions,
            NDArray bias,
            KvCache cache,
            int start,
            boolean training,
            LowRankAdapter adapter) {
        boolean fullTraining = training && adapter == null;
        boolean dropout = training && adapter != null && adapter.dropout() > 0;
        long b = ids.getShape().get(0);
        long t = ids.getShape().get(1);
        if (bias == null && (t != 1 || cache == null)) {
            throw new IllegalArgumentException("an attention bias is required unless decoding one token with a cache");
        }
        if (bias != null && bias.getDataType() != dtype) {
            bias = bias.toType(dtype, false);
        }
        if (bias != null && t == 1) {
            // once per forward, not per layer: a (B, 1, 1, S) bias adds to (B, K, G, S) scores as is
            long[] full = bias.getShape().getShape();
            bias = Ops.reshape(bias, full.length == 5 ? full[0] : 1, 1, 1, full[full.length - 1]);
        }
        int dh = config.headDim();
        long s = cache == null ? t : start + t;
        NDArray[] tables = ropeTables(scope, (int) s);
        NDArray cos = Ops.reshape(Ops.embedding(positions, tables[0]), b, t, 1, dh); // (B, T, 1, Dh)
        NDArray sin = Ops.reshape(Ops.embedding(positions, tables[1]), b, t, 1, dh);
        if (training && cache == null && checkpointing != null) {
            NDArray last = checkpointing.forward(scope, ids, cos, sin, bias, adapter, fullTraining, dropout);
            return rmsNorm(last, finalNorm(scope, fullTraining));
        }
        LoraDelta lora = adapter == null
                ? null
                : new LoraDelta(config, dtype, scope, adapter, dropout, training ? null : frozen(adapter));
        List<LayerWeights> layers = fullTraining ? fusedWeights(scope, false) : inferenceWeights();
        NDArray x = Ops.embedding(ids, parameters.get("model.embed_tokens.weight")); // (B, T, D)
        // dropout masks are drawn per block from a seed of the caller's generator, as the
        // checkpointed pass draws (and redraws) them
        long dropoutSeed = dropout ? CheckpointedForward.drawSeed(scope) : 0;
        for (int l = 0; l < layers.size(); l++) {
            if (dropout) {
                ai.djl.pytorch.jni.JniUtils.setSeed(dropoutSeed + l);
            }
            x = block(scope, x, l, layers.get(l), lora, cos, sin, bias, cache, start);
        }
        if (cache != null) {
            cache.advance((int) t);
        }
        return rmsNorm(x, finalNorm(scope, fullTraining));
    }

    /**
     * Decoder block {@code l} on {@code x} (B, T, D); every result lands in {@code x}'s manager or
     * {@code scope}. {@code cos}/{@code sin} are (B, T, 1, Dh); with a cache, keys and values of
     * the T tokens are written at [start, start + T).
     */
    NDArray block(
            NDManager scope,
            NDArray x,
            int l,
            LayerWeights w,
            LoraDelta lora,
            NDArray cos,
            NDArray sin,
            NDArray bias,
            KvCache cache,
            int start) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        int h = config.numAttentionHeads();
        int k = config.numKeyValueHeads();
        int g = config.groupSize();
        int dh = config.headDim();
        long s = cache == null ? t : start + t;
        // 1. attention: Q/K/V, (Qwen3) per-head RMSNorm of Q and K, rotary embedding on Q and K together
        NDArray hNorm = rmsNorm(x, w.inputNorm());
        NDArray qkvOut = Ops.linear(hNorm, w.qkv(), w.qkvBias());
        if (lora != null) {
            qkvOut = lora.add(qkvOut, hNorm, w.inputNorm() == null ? w.inputScale() : null, l, LoraDelta.QKV);
        }
        NDArray[] qkAndV = Ops.split(Ops.reshape(qkvOut, b, t, h + 2L * k, dh), 2, h + k, h + 2L * k);
        NDArray qk = qkAndV[0]; // (B, T, H+K, Dh)
        if (w.qkNorm() != null) {
            qk = qk.div(qk.square().sum(new int[] {-1}, true).add(headNormEps).sqrt())
                    .mul(w.qkNorm());
        }
        qk = qk.mul(cos).add(Ops.matmul(qk, rotateHalf).mul(sin));
        NDArray[] qAndK = Ops.split(qk, 2, h, h + k);
        NDArray q = t == 1
                ? Ops.reshape(qAndK[0], b, k, g, dh) // (B, K, G*T, Dh): a view when T = 1
                : Ops.reshape(Ops.permute(Ops.reshape(qAndK[0], b, t, k, g, dh), 0, 2, 3, 1, 4), b, k, g * t, dh);
        NDArray kT; // (B, K, Dh, S)
        NDArray v; // (B, K, S, Dh)
        if (cache != null) {
            cache.write(l, start, (int) t, qAndK[1], qkAndV[1]);
            kT = cache.keysT(scope, l, (int) s);
            v = cache.values(scope, l, (int) s);
        } else {
            kT = Ops.permute(qAndK[1], 0, 2, 3, 1);
            v = Ops.permute(qkAndV[1], 0, 2, 1, 3);
        }
        // 2. grouped-query attention without repeating K/V: query groups share a K/V head
        NDArray scores = Ops.matmul(q, kT); // (B, K, G*T, S), already scaled via the RoPE tables
        NDArray probs;
        if (bias == null) {
            probs = scores.softmax(-1);
        } else if (t == 1) {
            probs = scores.add(bias).softmax(-1); // bias (B, 1, 1, S), see forward(): G*T is G
        } else {
            probs = Ops.reshape(Ops.reshape(scores, b, k, g, t, s).add(bias).softmax(-1), b, k, g * t, s);
        }
        NDArray out = Ops.matmul(probs, v); // (B, K, G*T, Dh)
        NDArray attn = t == 1
                ? Ops.reshape(out, b, 1, (long) h * dh)
                : Ops.reshape(Ops.permute(Ops.reshape(out, b, k, g, t, dh), 0, 3, 1, 2, 4), b, t, (long) h * dh);
        NDArray o = Ops.linear(attn, w.o(), w.oBias());
        x = x.add(lora == null ? o : lora.add(o, attn, null, l, LoraDelta.O));
        // 3. SwiGLU MLP
        NDArray post = rmsNorm(x, w.postNorm());
        NDArray gateUpOut = Ops.linear(post, w.gateUp(), w.gateUpBias());
        if (lora != null) {
            gateUpOut = lora.add(gateUpOut, post, w.postNorm() == null ? w.postScale() : null, l, LoraDelta.GATE_UP);
        }
        NDArray[] gateUp = Ops.split(gateUpOut, 2, config.intermediateSize(), 2L * config.intermediateSize());
        NDArray gate = gateUp[0];
        NDArray act = gate.mul(gate.getNDArrayInternal().sigmoid()).mul(gateUp[1]);
        NDArray down = Ops.linear(act, w.down(), w.downBias());
        return x.add(lora == null ? down : lora.add(down, act, null, l, LoraDelta.DOWN));
    }

    /** (..., D) hidden states to (..., V) logits. */
    public NDArray logits(NDArray hidden) {
        NDArray head = config.tieWordEmbeddings()
                ? parameters.get("model.embed_tokens.weight")
                : parameters.get("lm_head.weight");
        return Ops.linear(hidden, head, null);
    }

    /**
     * A (1, 1, 1, T, T) causal bias: a view, owned by {@code scope}, of one cached matrix sized to
     * the longest sequence seen so far. Why not one matrix per length: a run with varied lengths
     * would keep sum over T of T^2 floats alive (gigabytes at a few thousand positions).
     */
    public synchronized NDArray causalBias(NDManager scope, int t) {
        if (causalSize < t) {
            int n = Math.min(config.positionLimit(), Math.max(t, 2 * causalSize));
            float[] bias = new float[n * n];
            int window = config.slidingWindow();
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    if (!visible(i, j, window)) {
                        bias[i * n + j] = MASKED;
                    }
                }
            }
            if (causal != null) {
                causal.close();
            }
            causal = owned(manager, dtype, bias, 1, 1, 1, n, n);
            causalSize = n;
        }
        long[] shape = {1, 1, 1, causalSize, causalSize};
        NDArray rows = Ops.slice(causal, shape, 3, 0, t);
        NDArray block = Ops.slice(rows, new long[] {1, 1, 1, t, causalSize}, 4, 0, t);
        rows.close();
        return Ops.into(scope, block);
    }

    /**
     * Whether the query at sequence position {@code query} sees the key at {@code key}: causal,
     * and within the last {@code window} positions when there is a sliding window (0: none), as
     * transformers' {@code sliding_window_causal_mask_function}.
     */
    public static boolean visible(long query, long key, int window) {
        return key <= query && (window <= 0 || key > query - window);
    }

    /**
     * Cos and sin tables covering positions [0, s): the shared table (grown on demand, up to the
     * positions a call needs), or, for dynamic NTK RoPE past {@code max_position_embeddings}, tables
     * computed for this length in {@code scope}.
     */
    private NDArray[] ropeTables(NDManager scope, int s) {
        if (rope.dependsOnLength(s)) {
            float[] cos = new float[s * config.headDim()];
            float[] sin = new float[s * config.headDim()];
            rope.fill(cos, sin, s, s, ropeScale);
            return new NDArray[] {
                owned(scope, dtype, cos, s, config.headDim()), owned(scope, dtype, sin, s, config.headDim())
            };
        }
        synchronized (this) {
            if (s > ropePositions) {
                growRope(Math.max(s, 2 * ropePositions));
            }
            return new NDArray[] {cosTable, sinTable};
        }
    }

    private synchronized void growRope(int positions) {
        int dh = config.headDim();
        float[] cos = new float[positions * dh];
        float[] sin = new float[positions * dh];
        rope.fill(cos, sin, positions, positions, ropeScale);
        if (cosTable != null) {
            retiredTables.add(cosTable);
            retiredTables.add(sinTable);
        }
        cosTable = owned(manager, dtype, cos, positions, dh);
        sinTable = owned(manager, dtype, sin, positions, dh);
        ropePositions = positions;
    }

    /** A tensor in native memory owned by {@code m} (a Java-array tensor would alias a direct buffer). */
    static NDArray owned(NDManager m, DataType dtype, float[] values, long... shape) {
        try (NDArray aliased = m.create(values, new Shape(shape))) {
            return ownedCopy(aliased, dtype);
        }
    }

    /**
     * A copy of {@code aliased} in native memory, converted to {@code dtype}. Why not {@code
     * toType(dtype, true)}: for an unchanged type DJL calls torch's {@code to()}, which returns the
     * same storage, i.e. the Java buffer that is freed once {@code aliased} is closed and collected
     * (weights then turn into garbage at the next GC).
     */
    private static NDArray ownedCopy(NDArray aliased, DataType dtype) {
        NDArray copy = aliased.duplicate();
        if (dtype == copy.getDataType()) {
            return copy;
        }
        try (copy) {
            return copy.toType(dtype, false);
        }
    }

    /** The additive value that removes a key from attention. */
    public static float maskedValue() {
        return MASKED;
    }

    /**
     * RMSNorm as x / sqrt(sum(x^2) + D eps) times {@code scale}, where {@code scale} = w sqrt(D)
     * (equal to x / sqrt(mean(x^2) + eps) w). A null scale means it was folded into the next
     * matrix (inference weights). Constants are tensors: scalar ops are slow and unsafe in autograd.
     */
    private NDArray rmsNorm(NDArray x, NDArray scale) {
        NDArray normalized =
                x.div(x.square().sum(new int[] {-1}, true).add(normEps).sqrt());
        return scale == null ? normalized : normalized.mul(scale);
    }

    private NDArray finalNorm(NDManager scope, boolean training) {
        if (!training) {
            inferenceWeights();
            return inferenceFinalNorm;
        }
        return Ops.into(scope, parameters.get("model.norm.weight").mul(sqrtHidden));
    }

    /** Synchronized: rollout threads share one model and may ask at once after an update. */
    private synchronized List<LayerWeights> inferenceWeights() {
        if (inferenceWeights == null) {
            // built without recording gradients even inside a training step (a LoRA run's frozen
            // base): a cache in the autograd graph would keep every step's graph alive
            boolean grad = ai.djl.pytorch.jni.JniUtils.isGradMode();
            ai.djl.pytorch.jni.JniUtils.setGradMode(false);
            try {
                inferenceManager = manager.newSubManager();
                inferenceManager.setName("llama-inference-weights");
                inferenceWeights = fusedWeights(inferenceManager, true);
                inferenceFinalNorm = Ops.into(
                        inferenceManager, parameters.get("model.norm.weight").mul(sqrtHidden));
            } finally {
                ai.djl.pytorch.jni.JniUtils.setGradMode(grad);
            }
        }
        return inferenceWeights;
    }

    /**
     * Q/K/V and gate/up concatenated per block. With {@code foldNorms} (inference only), each
     * RMSNorm's w sqrt(D) is multiplied into the columns of the matrix that reads its output.
     */
    private List<LayerWeights> fusedWeights(NDManager scope, boolean foldNorms) {
        List<LayerWeights> layers = new ArrayList<>(config.numHiddenLayers());
        for (int l = 0; l < config.numHiddenLayers(); l++) {
            layers.add(fusedLayer(scope, l, foldNorms));
        }
        return layers;
    }

    /** The weights of block {@code l} for training (gradients reach the parameters) or the cached inference ones. */
    LayerWeights layerWeights(NDManager scope, int l, boolean training) {
        return training ? fusedLayer(scope, l, false) : inferenceWeights().get(l);
    }

    private LayerWeights fusedLayer(NDManager scope, int l, boolean foldNorms) {
        String p = "model.layers." + l + ".";
        NDArray inputScale =
                Ops.into(scope, parameter(p + "input_layernorm.weight").mul(sqrtHidden));
        NDArray postScale =
                Ops.into(scope, parameter(p + "post_attention_layernorm.weight").mul(sqrtHidden));
        NDArray qkv = Ops.into(
                scope,
                Ops.cat(
                        0,
                        parameter(p + "self_attn.q_proj.weight"),
                        parameter(p + "self_attn.k_proj.weight"),
                        parameter(p + "self_attn.v_proj.weight")));
        NDArray qkvBias = config.attentionBias()
                ? Ops.into(
                        scope,
                        Ops.cat(
                                0,
                                parameter(p + "self_attn.q_proj.bias"),
                                parameter(p + "self_attn.k_proj.bias"),
                                parameter(p + "self_attn.v_proj.bias")))
                : null;
        NDArray gateUp =
                Ops.into(scope, Ops.cat(0, parameter(p + "mlp.gate_proj.weight"), parameter(p + "mlp.up_proj.weight")));
        NDArray gateUpBias = config.mlpBias()
                ? Ops.into(scope, Ops.cat(0, parameter(p + "mlp.gate_proj.bias"), parameter(p + "mlp.up_proj.bias")))
                : null;
        NDArray qkNorm = config.qkNorm() ? qkNormScale(scope, p) : null;
        NDArray foldedInput = inputScale;
        NDArray foldedPost = postScale;
        if (foldNorms) {
            qkv = qkv.mul(inputScale); // (O, D) * (D): scales column i by the norm's weight i
            gateUp = gateUp.mul(postScale);
            inputScale = null;
            postScale = null;
        }
        return new LayerWeights(
                foldedInput,
                foldedPost,
                inputScale,
                qkv,
                qkvBias,
                qkNorm,
                parameter(p + "self_attn.o_proj.weight"),
                config.outputBias() ? parameter(p + "self_attn.o_proj.bias") : null,
                postScale,
                gateUp,
                gateUpBias,
                parameter(p + "mlp.down_proj.weight"),
                config.mlpBias() ? parameter(p + "mlp.down_proj.bias") : null);
    }

    /**
     * Qwen3's q_norm and k_norm weights times sqrt(Dh), laid out (H + K, Dh) to scale the query and
     * key heads of the fused projection at once; every intermediate is attached to {@code scope}
     * (results land on their first operand's manager, here the model's).
     */
    private NDArray qkNormScale(NDManager scope, String prefix) {
        int dh = config.headDim();
        NDArray q =
                Ops.into(scope, parameter(prefix + "self_attn.q_norm.weight").mul(sqrtHeadDim));
        NDArray k =
                Ops.into(scope, parameter(prefix + "self_attn.k_norm.weight").mul(sqrtHeadDim));
        NDArray qs = q.reshape(1, dh).broadcast(config.numAttentionHeads(), dh);
        NDArray ks = k.reshape(1, dh).broadcast(config.numKeyValueHeads(), dh);
        return Ops.into(scope, Ops.cat(0, qs, ks));
    }

    @Override
    public void close() {
        parametersChanged();
        manager.close();
    }
}
