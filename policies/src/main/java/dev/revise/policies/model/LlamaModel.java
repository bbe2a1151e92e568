package dev.revise.policies.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.revise.policies.checkpoint.CheckpointException;
import dev.revise.policies.checkpoint.SafetensorsFile;
import dev.revise.policies.checkpoint.SafetensorsWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A Llama-family decoder written with NDArray ops: token embedding, N blocks of [RMSNorm, Q/K/V
 * (optional bias), rotate-half RoPE, causal grouped-query attention, output projection, residual,
 * RMSNorm, SwiGLU MLP, residual], final RMSNorm and an LM head (tied or untied).
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

    private final LlamaConfig config;
    private final DataType dtype;
    private final NDManager manager;
    private final Map<String, NDArray> parameters;
    private final NDArray cosTable; // (P, Dh), scaled by Dh^-1/4
    private final NDArray sinTable; // (P, Dh), scaled by Dh^-1/4
    private final NDArray rotateHalf; // (Dh, Dh): x @ R == cat(-x2, x1)
    private NDArray causal; // (1, 1, 1, n, n), n = causalSize
    private int causalSize;
    private final NDArray normEps; // D * rms_norm_eps, scalar
    private final NDArray sqrtHidden; // sqrt(D), scalar
    private NDManager inferenceManager;
    private List<LayerWeights> inferenceWeights;
    private NDArray inferenceFinalNorm;

    /** The weights of one block in the fused layout the forward pass uses; null norm scales are folded. */
    private record LayerWeights(
            NDArray inputNorm,
            NDArray qkv,
            NDArray qkvBias,
            NDArray o,
            NDArray postNorm,
            NDArray gateUp,
            NDArray down) {}

    private LlamaModel(LlamaConfig config, DataType dtype, Map<String, NDArray> parameters, NDManager manager) {
        this.config = config;
        this.dtype = dtype;
        this.manager = manager;
        this.parameters = Collections.unmodifiableMap(parameters);
        int dh = config.headDim();
        int positions = config.maxPositionEmbeddings();
        float[] cos = new float[positions * dh];
        float[] sin = new float[positions * dh];
        double scale = Math.pow(dh, -0.25);
        int half = dh / 2;
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < half; i++) {
                double invFreq = Math.pow(config.ropeTheta(), -(2.0 * i) / dh);
                double angle = p * invFreq;
                float c = (float) (Math.cos(angle) * scale);
                float s = (float) (Math.sin(angle) * scale);
                cos[p * dh + i] = c;
                cos[p * dh + i + half] = c;
                sin[p * dh + i] = s;
                sin[p * dh + i + half] = s;
            }
        }
        float[] r = new float[dh * dh];
        for (int i = 0; i < half; i++) {
            r[(i + half) * dh + i] = -1f; // out[i] = -x[i + half]
            r[i * dh + i + half] = 1f; // out[i + half] = x[i]
        }
        this.cosTable = owned(manager, dtype, cos, positions, dh);
        this.sinTable = owned(manager, dtype, sin, positions, dh);
        this.rotateHalf = owned(manager, dtype, r, dh, dh);
        this.normEps = owned(manager, dtype, new float[] {(float) (config.hiddenSize() * config.rmsNormEps())});
        this.sqrtHidden = owned(manager, dtype, new float[] {(float) Math.sqrt(config.hiddenSize())});
    }

    /** The Hugging Face names of the parameters of {@code config}, in checkpoint order, with shapes. */
    public static Map<String, long[]> parameterShapes(LlamaConfig c) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        long d = c.hiddenSize();
        shapes.put("model.embed_tokens.weight", new long[] {c.vocabSize(), d});
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            shapes.put(p + "input_layernorm.weight", new long[] {d});
            shapes.put(p + "self_attn.q_proj.weight", new long[] {c.qDim(), d});
            shapes.put(p + "self_attn.k_proj.weight", new long[] {c.kvDim(), d});
            shapes.put(p + "self_attn.v_proj.weight", new long[] {c.kvDim(), d});
            if (c.attentionBias()) {
                shapes.put(p + "self_attn.q_proj.bias", new long[] {c.qDim()});
                shapes.put(p + "self_attn.k_proj.bias", new long[] {c.kvDim()});
                shapes.put(p + "self_attn.v_proj.bias", new long[] {c.kvDim()});
            }
            shapes.put(p + "self_attn.o_proj.weight", new long[] {d, c.qDim()});
            shapes.put(p + "post_attention_layernorm.weight", new long[] {d});
            shapes.put(p + "mlp.gate_proj.weight", new long[] {c.intermediateSize(), d});
            shapes.put(p + "mlp.up_proj.weight", new long[] {c.intermediateSize(), d});
            shapes.put(p + "mlp.down_proj.weight", new long[] {d, c.intermediateSize()});
        }
        shapes.put("model.norm.weight", new long[] {d});
        if (!c.tieWordEmbeddings()) {
            shapes.put("lm_head.weight", new long[] {c.vocabSize(), d});
        }
        return shapes;
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
        NDManager manager = parent.newSubManager(device);
        manager.setName("llama-model");
        Map<String, NDArray> params = new LinkedHashMap<>();
        SplittableRandom root = new SplittableRandom(seed);
        for (Map.Entry<String, long[]> e : parameterShapes(config).entrySet()) {
            SplittableRandom rng = root.split();
            long n = 1;
            for (long dim : e.getValue()) {
                n *= dim;
            }
            ByteBuffer buf = ByteBuffer.allocateDirect(Math.toIntExact(n * 4)).order(ByteOrder.nativeOrder());
            String name = e.getKey();
            boolean norm = name.endsWith("layernorm.weight") || name.equals("model.norm.weight");
            boolean bias = name.endsWith(".bias");
            for (int i = 0; i < n; i++) {
                float v = norm ? 1f : bias ? 0f : (float) (gaussian(rng) * 0.02);
                buf.putFloat(i * 4, v);
            }
            params.put(name, parameter(manager, dtype, buf, e.getValue()));
        }
        return new LlamaModel(config, dtype, params, manager);
    }

    private static double gaussian(SplittableRandom rng) {
        // Box-Muller: SplittableRandom has no nextGaussian in Java 17.
        double u1 = 1.0 - rng.nextDouble();
        double u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    private static NDArray parameter(NDManager manager, DataType dtype, ByteBuffer float32, long[] shape) {
        // The buffer-backed tensor aliases Java direct memory: copy into native memory we own.
        try (NDArray aliased = manager.create(float32, new Shape(shape), DataType.FLOAT32)) {
            NDArray p = ownedCopy(aliased, dtype);
            p.setRequiresGradient(true);
            return p;
        }
    }

    /** Loads {@code config.json} and {@code model.safetensors} from a Hugging Face checkpoint directory. */
    public static LlamaModel load(Path dir, NDManager parent, Device device) {
        return load(dir, parent, device, DataType.FLOAT32);
    }

    /**
     * As {@link #load(Path, NDManager, Device)}, with weights stored as {@code dtype} (float16 or
     * bfloat16 halve the memory of inference copies: rollout workers, the reference model; the
     * trained policy stays float32 so AdamW updates are not lost to rounding).
     */
    public static LlamaModel load(Path dir, NDManager parent, Device device, DataType dtype) {
        LlamaConfig config = LlamaConfig.read(dir.resolve("config.json"));
        Path weights = dir.resolve("model.safetensors");
        NDManager manager = parent.newSubManager(device);
        manager.setName("llama-model");
        Map<String, NDArray> params = new LinkedHashMap<>();
        try (SafetensorsFile file = SafetensorsFile.open(weights)) {
            for (Map.Entry<String, long[]> e : parameterShapes(config).entrySet()) {
                SafetensorsFile.Entry entry = file.entry(e.getKey());
                if (!java.util.Arrays.equals(entry.shape(), e.getValue())) {
                    throw new CheckpointException(weights + ": tensor '" + e.getKey() + "' has shape "
                            + java.util.Arrays.toString(entry.shape()) + ", config.json implies "
                            + java.util.Arrays.toString(e.getValue()));
                }
                params.put(e.getKey(), parameter(manager, dtype, file.readFloat32(e.getKey()), e.getValue()));
            }
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        return new LlamaModel(config, dtype, params, manager);
    }

    /** Writes {@code config.json} and {@code model.safetensors} (F32, {@code {"format":"pt"}}). */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        config.write(dir.resolve("config.json"));
        Map<String, SafetensorsWriter.Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            NDArray p = e.getValue();
            ByteBuffer bytes = ByteBuffer.wrap(float32Bytes(p)).order(ByteOrder.LITTLE_ENDIAN);
            tensors.put(e.getKey(), new SafetensorsWriter.Tensor(p.getShape().getShape(), bytes));
        }
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
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

    /** Drops the cached fused inference weights; call after parameters change in place. */
    public synchronized void parametersChanged() {
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
        List<LayerWeights> layers = training ? fusedWeights(scope, false) : inferenceWeights();
        long b = ids.getShape().get(0);
        long t = ids.getShape().get(1);
        if (bias == null && (t != 1 || cache == null)) {
            throw new IllegalArgumentException("an attention bias is required unless decoding one token with a cache");
        }
        if (bias != null && bias.getDataType() != dtype) {
            bias = bias.toType(dtype, false);
        }
        int h = config.numAttentionHeads();
        int k = config.numKeyValueHeads();
        int g = config.groupSize();
        int dh = config.headDim();
        long s = cache == null ? t : start + t;
        NDArray cos = Ops.reshape(Ops.embedding(positions, cosTable), b, t, 1, dh); // (B, T, 1, Dh)
        NDArray sin = Ops.reshape(Ops.embedding(positions, sinTable), b, t, 1, dh);
        NDArray x = Ops.embedding(ids, parameters.get("model.embed_tokens.weight")); // (B, T, D)
        for (int l = 0; l < layers.size(); l++) {
            LayerWeights w = layers.get(l);
            // 1. attention: Q/K/V, rotary embedding on Q and K together
            NDArray hNorm = rmsNorm(x, w.inputNorm());
            NDArray[] qkAndV = Ops.split(
                    Ops.reshape(Ops.linear(hNorm, w.qkv(), w.qkvBias()), b, t, h + 2L * k, dh), 2, h + k, h + 2L * k);
            NDArray qk = qkAndV[0]; // (B, T, H+K, Dh)
            qk = qk.mul(cos).add(Ops.matmul(qk, rotateHalf).mul(sin));
            NDArray[] qAndK = Ops.split(qk, 2, h, h + k);
            NDArray q = t == 1
                    ? Ops.reshape(qAndK[0], b, k, g, dh) // (B, K, G*T, Dh): a view when T = 1
                    : Ops.reshape(Ops.permute(Ops.reshape(qAndK[0], b, t, k, g, dh), 0, 2, 3, 1, 4), b, k, g * t, dh);
            NDArray kT = Ops.permute(qAndK[1], 0, 2, 3, 1); // (B, K, Dh, T)
            NDArray v = Ops.permute(qkAndV[1], 0, 2, 1, 3); // (B, K, T, Dh)
            if (cache != null) {
                cache.write(l, start, (int) t, kT, v);
                kT = cache.keysT(scope, l, (int) s);
                v = cache.values(scope, l, (int) s);
            }
            // 2. grouped-query attention without repeating K/V: query groups share a K/V head
            NDArray scores = Ops.matmul(q, kT); // (B, K, G*T, S), already scaled via the RoPE tables
            NDArray probs = bias == null
                    ? scores.softmax(-1)
                    : Ops.reshape(Ops.reshape(scores, b, k, g, t, s).add(bias).softmax(-1), b, k, g * t, s);
            NDArray out = Ops.matmul(probs, v); // (B, K, G*T, Dh)
            NDArray attn = t == 1
                    ? Ops.reshape(out, b, 1, (long) h * dh)
                    : Ops.reshape(Ops.permute(Ops.reshape(out, b, k, g, t, dh), 0, 3, 1, 2, 4), b, t, (long) h * dh);
            x = x.add(Ops.linear(attn, w.o(), null));
            // 3. SwiGLU MLP
            NDArray[] gateUp = Ops.split(
                    Ops.linear(rmsNorm(x, w.postNorm()), w.gateUp(), null),
                    2,
                    config.intermediateSize(),
                    2L * config.intermediateSize());
            NDArray gate = gateUp[0];
            x = x.add(Ops.linear(gate.mul(gate.getNDArrayInternal().sigmoid()).mul(gateUp[1]), w.down(), null));
        }
        if (cache != null) {
            cache.advance((int) t);
        }
        return rmsNorm(x, finalNorm(scope, training));
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
            int n = Math.min(config.maxPositionEmbeddings(), Math.max(t, 2 * causalSize));
            float[] bias = new float[n * n];
            for (int i = 0; i < n; i++) {
                for (int j = i + 1; j < n; j++) {
                    bias[i * n + j] = MASKED;
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
            inferenceManager = manager.newSubManager();
            inferenceManager.setName("llama-inference-weights");
            inferenceWeights = fusedWeights(inferenceManager, true);
            inferenceFinalNorm = Ops.into(
                    inferenceManager, parameters.get("model.norm.weight").mul(sqrtHidden));
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
            String p = "model.layers." + l + ".";
            NDArray inputScale =
                    Ops.into(scope, parameter(p + "input_layernorm.weight").mul(sqrtHidden));
            NDArray postScale = Ops.into(
                    scope, parameter(p + "post_attention_layernorm.weight").mul(sqrtHidden));
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
            NDArray gateUp = Ops.into(
                    scope, Ops.cat(0, parameter(p + "mlp.gate_proj.weight"), parameter(p + "mlp.up_proj.weight")));
            if (foldNorms) {
                qkv = qkv.mul(inputScale); // (O, D) * (D): scales column i by the norm's weight i
                gateUp = gateUp.mul(postScale);
                inputScale = null;
                postScale = null;
            }
            layers.add(new LayerWeights(
                    inputScale,
                    qkv,
                    qkvBias,
                    parameter(p + "self_attn.o_proj.weight"),
                    postScale,
                    gateUp,
                    parameter(p + "mlp.down_proj.weight")));
        }
        return layers;
    }

    @Override
    public void close() {
        parametersChanged();
        manager.close();
    }
}
