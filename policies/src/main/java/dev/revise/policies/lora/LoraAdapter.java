package dev.revise.policies.lora;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import dev.revise.policies.checkpoint.CheckpointException;
import dev.revise.policies.checkpoint.NativeTensors;
import dev.revise.policies.checkpoint.SafeDtype;
import dev.revise.policies.checkpoint.SafetensorsFile;
import dev.revise.policies.checkpoint.SafetensorsWriter;
import dev.revise.policies.checkpoint.TensorSource;
import dev.revise.policies.model.LlamaConfig;
import dev.revise.policies.model.LowRankAdapter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The A and B matrices of a LoRA adapter over a {@link LlamaConfig}'s blocks, by PEFT's tensor
 * names ({@code base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight}: A as [r, in], B
 * as [out, r]), saved and loaded as a PEFT adapter directory ({@link PeftAdapterConfig}). Owns its
 * tensors; the base model's weights are never touched, except by {@link #mergeInto}.
 */
public final class LoraAdapter implements LowRankAdapter, AutoCloseable {
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    private static final String PREFIX = "base_model.model.";

    private final LlamaConfig base;
    private final LoraConfig config;
    private final DataType dtype;
    private final NDManager manager;
    private final Map<String, NDArray> parameters;
    private final NDArray scaling; // s = alpha / r, a scalar tensor: scalar ops are unsafe in autograd

    private LoraAdapter(
            LlamaConfig base, LoraConfig config, DataType dtype, NDManager manager, Map<String, NDArray> parameters) {
        this.base = base;
        this.config = config;
        this.dtype = dtype;
        this.manager = manager;
        this.parameters = Collections.unmodifiableMap(parameters);
        try (NDArray s = manager.create(new float[] {(float) config.scaling()})) {
            this.scaling = s.duplicate().toType(dtype, false);
        }
        this.scaling.attach(manager);
    }

    /** The PEFT name of a layer's A ({@code "A"}) or B ({@code "B"}) matrix of {@code target}. */
    public static String name(int layer, String target, String matrix) {
        return PREFIX + "model.layers." + layer + "." + LoraConfig.modulePath(target) + ".lora_" + matrix + ".weight";
    }

    /** [in, out] of a projection of {@code c}. */
    static long[] inOut(LlamaConfig c, String target) {
        long d = c.hiddenSize();
        return switch (target) {
            case "q_proj" -> new long[] {d, c.qDim()};
            case "k_proj", "v_proj" -> new long[] {d, c.kvDim()};
            case "o_proj" -> new long[] {c.qDim(), d};
            case "gate_proj", "up_proj" -> new long[] {d, c.intermediateSize()};
            case "down_proj" -> new long[] {c.intermediateSize(), d};
            default -> throw new IllegalArgumentException("not a projection: " + target);
        };
    }

    /** The adapter's tensors and shapes, in PEFT's order (per layer, per target: A then B). */
    public static Map<String, long[]> parameterShapes(LlamaConfig c, LoraConfig lora) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            for (String t : lora.targets()) {
                long[] io = inOut(c, t);
                shapes.put(name(l, t, "A"), new long[] {lora.rank(), io[0]});
                shapes.put(name(l, t, "B"), new long[] {io[1], lora.rank()});
            }
        }
        return shapes;
    }

    /**
     * A new adapter as PEFT initialises one: A from kaiming-uniform with a = sqrt(5), i.e.
     * U(-1/sqrt(in), 1/sqrt(in)), and B zero, so the adapted model starts equal to the base. Drawn
     * in Java from {@code seed}: the same seed gives the same adapter on any device.
     */
    public static LoraAdapter create(
            LlamaConfig base, LoraConfig lora, NDManager parent, Device device, DataType dtype, long seed) {
        SplittableRandom root = new SplittableRandom(seed);
        return build(base, lora, parent, device, dtype, (name, view) -> {
            SplittableRandom rng = root.split();
            int n = view.remaining() / 4;
            if (name.endsWith("lora_A.weight")) {
                double bound = 1 / Math.sqrt((double) n / lora.rank());
                for (int i = 0; i < n; i++) {
                    view.putFloat(i * 4, (float) ((rng.nextDouble() * 2 - 1) * bound));
                }
            } else {
                for (int i = 0; i < n; i++) {
                    view.putFloat(i * 4, 0f);
                }
            }
        });
    }

    /**
     * The adapter of a PEFT directory ({@code adapter_config.json}, {@code
     * adapter_model.safetensors}) for a base of architecture {@code base}; a tensor missing, of
     * another shape, or not a LoRA matrix of a supported projection is an error naming it.
     */
    public static LoraAdapter load(Path dir, LlamaConfig base, NDManager parent, Device device, DataType dtype) {
        PeftAdapterConfig peft = PeftAdapterConfig.read(dir);
        Path file = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException(dir + ": no " + WEIGHTS_FILE
                    + (Files.exists(dir.resolve("adapter_model.bin"))
                            ? " (adapter_model.bin is a pickle; save the adapter with safe_serialization=True)"
                            : ""));
        }
        Map<String, long[]> shapes = parameterShapes(base, peft.lora());
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            List<String> unexpected = new ArrayList<>();
            for (String n : f.entries().keySet()) {
                if (!shapes.containsKey(n)) {
                    unexpected.add(n);
                }
            }
            if (!unexpected.isEmpty()) {
                throw new CheckpointException(file + ": tensors that are not LoRA matrices of "
                        + peft.lora().targets()
                        + " in " + base.numHiddenLayers() + " layers: "
                        + String.join(", ", unexpected.subList(0, Math.min(5, unexpected.size()))));
            }
            for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                SafetensorsFile.Entry entry = f.entries().get(e.getKey());
                if (entry == null) {
                    throw new CheckpointException(file + ": tensor '" + e.getKey() + "' is missing ("
                            + PeftAdapterConfig.FILE + " targets " + peft.lora().targets() + ")");
                }
                if (!Arrays.equals(entry.shape(), e.getValue())) {
                    throw new CheckpointException(file + ": tensor '" + e.getKey() + "' has shape "
                            + Arrays.toString(entry.shape()) + ", the base and r = "
                            + peft.lora().rank()
                            + " imply " + Arrays.toString(e.getValue()));
                }
            }
            ByteBuffer staging = ByteBuffer.allocateDirect(4 << 20);
            return build(base, peft.lora(), parent, device, dtype, (name, view) -> f.readInto(name, view, staging));
        }
    }

    private static LoraAdapter build(
            LlamaConfig base,
            LoraConfig lora,
            NDManager parent,
            Device device,
            DataType dtype,
            NativeTensors.Filler filler) {
        NDManager manager = parent.newSubManager(device);
        manager.setName("lora-adapter");
        try {
            Map<String, NDArray> params = NativeTensors.create(
                    parameterShapes(base, lora),
                    manager,
                    device,
                    dtype,
                    (name, view) -> filler.fill(name, view.order(ByteOrder.nativeOrder())));
            params.values().forEach(p -> p.setRequiresGradient(true));
            return new LoraAdapter(base, lora, dtype, manager, params);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** Writes a PEFT adapter directory: {@code adapter_config.json} and float32 {@code adapter_model.safetensors}. */
    public void save(Path dir, String baseModelNameOrPath) throws IOException {
        Files.createDirectories(dir);
        Map<String, SafetensorsWriter.Source> sources = new LinkedHashMap<>();
        parameters.forEach((n, p) -> sources.put(n, new TensorSource(p)));
        SafetensorsWriter.write(dir.resolve(WEIGHTS_FILE), sources, Map.of("format", "pt"), SafeDtype.F32);
        new PeftAdapterConfig(config, baseModelNameOrPath).write(dir);
    }

    public LoraConfig config() {
        return config;
    }

    public LlamaConfig base() {
        return base;
    }

    @Override
    public double dropout() {
        return config.dropout();
    }

    @Override
    public DataType dtype() {
        return dtype;
    }

    public NDManager manager() {
        return manager;
    }

    /** A and B of every targeted projection, by PEFT name. */
    public Map<String, NDArray> parameters() {
        return parameters;
    }

    /** The A matrix of {@code target} in {@code layer}, or null if the adapter does not target it. */
    @Override
    public NDArray a(int layer, String target) {
        return parameters.get(name(layer, target, "A"));
    }

    @Override
    public NDArray b(int layer, String target) {
        return parameters.get(name(layer, target, "B"));
    }

    /** The scalar s of s B A, in the adapter's dtype. */
    @Override
    public NDArray scaling() {
        return scaling;
    }

    /** The tensors' values as native-order float32 bytes, in {@link #parameters()} order. */
    public byte[] snapshot() {
        return NativeTensors.float32Bytes(parameters.values());
    }

    /** Bytes of the adapter's tensors as float32: what a weight sync ships. */
    public long float32Bytes() {
        long n = 0;
        for (NDArray p : parameters.values()) {
            n += p.size() * 4;
        }
        return n;
    }

    /**
     * Adds s B A to each targeted projection of {@code baseParameters} (Hugging Face names), in
     * place and without recording gradients: what {@code merge_and_unload} does in PEFT.
     */
    public void mergeInto(Map<String, NDArray> baseParameters) {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager scope = manager.newSubManager()) {
            for (int l = 0; l < base.numHiddenLayers(); l++) {
                for (String t : config.targets()) {
                    String w = "model.layers." + l + "." + LoraConfig.modulePath(t) + ".weight";
                    NDArray weight = baseParameters.get(w);
                    if (weight == null) {
                        throw new IllegalArgumentException("the base has no parameter " + w);
                    }
                    NDArray a = float32In(scope, a(l, t));
                    NDArray b = float32In(scope, b(l, t));
                    NDArray s = float32In(scope, scaling);
                    NDArray merged = float32In(scope, weight).add(b.matMul(a).mul(s));
                    weight.set(new ai.djl.ndarray.index.NDIndex("..."), merged.toType(weight.getDataType(), false));
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /** A float32 copy of {@code x} owned by {@code scope} (results of ops on it land there too). */
    private static NDArray float32In(NDManager scope, NDArray x) {
        // not toType(FLOAT32, true): for an unchanged type it may return the same storage
        NDArray copy = x.getDataType() == DataType.FLOAT32 ? x.duplicate() : x.toType(DataType.FLOAT32, false);
        copy.attach(scope);
        return copy;
    }

    @Override
    public void close() {
        manager.close();
    }
}
