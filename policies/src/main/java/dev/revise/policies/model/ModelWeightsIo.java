package dev.revise.policies.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.revise.policies.checkpoint.CheckpointException;
import dev.revise.policies.checkpoint.CheckpointWeights;
import dev.revise.policies.checkpoint.NativeTensors;
import dev.revise.policies.checkpoint.SafeDtype;
import dev.revise.policies.checkpoint.SafetensorsFile;
import dev.revise.policies.checkpoint.SafetensorsWriter;
import dev.revise.policies.checkpoint.ShardedWriter;
import dev.revise.policies.checkpoint.TensorSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Creates, loads and saves a {@link LlamaModel}'s parameters without staging them in Java memory:
 * each parameter is allocated in libtorch's memory first and its values are written through a
 * view of that memory (from a seeded generator, or streamed from the safetensors files in chunks
 * and converted to float32 on the way), so loading a model holds one copy of its weights, plus a
 * 4 MB read buffer. Parameters for another device or dtype go through one per-tensor conversion.
 */
final class ModelWeightsIo {
    private ModelWeightsIo() {}

    static Map<String, long[]> parameterShapes(LlamaConfig c) {
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
            if (c.qkNorm()) {
                shapes.put(p + "self_attn.q_norm.weight", new long[] {c.headDim()});
                shapes.put(p + "self_attn.k_norm.weight", new long[] {c.headDim()});
            }
            shapes.put(p + "self_attn.o_proj.weight", new long[] {d, c.qDim()});
            if (c.outputBias()) {
                shapes.put(p + "self_attn.o_proj.bias", new long[] {d});
            }
            shapes.put(p + "post_attention_layernorm.weight", new long[] {d});
            shapes.put(p + "mlp.gate_proj.weight", new long[] {c.intermediateSize(), d});
            shapes.put(p + "mlp.up_proj.weight", new long[] {c.intermediateSize(), d});
            shapes.put(p + "mlp.down_proj.weight", new long[] {d, c.intermediateSize()});
            if (c.mlpBias()) {
                shapes.put(p + "mlp.gate_proj.bias", new long[] {c.intermediateSize()});
                shapes.put(p + "mlp.up_proj.bias", new long[] {c.intermediateSize()});
                shapes.put(p + "mlp.down_proj.bias", new long[] {d});
            }
        }
        shapes.put("model.norm.weight", new long[] {d});
        if (!c.tieWordEmbeddings()) {
            shapes.put("lm_head.weight", new long[] {c.vocabSize(), d});
        }
        return shapes;
    }

    static LlamaModel random(LlamaConfig config, NDManager parent, Device device, DataType dtype, long seed) {
        SplittableRandom root = new SplittableRandom(seed);
        return build(config, parent, device, dtype, (name, view) -> {
            SplittableRandom rng = root.split(); // one stream per parameter, in checkpoint order
            boolean norm = name.endsWith("layernorm.weight")
                    || name.endsWith("_norm.weight")
                    || name.equals("model.norm.weight");
            boolean bias = name.endsWith(".bias");
            ByteBuffer out = view.order(ByteOrder.nativeOrder());
            int n = out.remaining() / 4;
            for (int i = 0; i < n; i++) {
                out.putFloat(i * 4, norm ? 1f : bias ? 0f : (float) (gaussian(rng) * 0.02));
            }
        });
    }

    /**
     * The model of {@code configDir}'s config.json with the weights of {@code weightsDir} (the same
     * directory, or a checkpoint's float32 master copy). Tensors the architecture does not have are
     * an error naming them, except those transformers also skips: {@code lm_head.weight} of a tied
     * model and the {@code rotary_emb.inv_freq} buffers of old Llama checkpoints.
     */
    static LlamaModel load(Path configDir, Path weightsDir, NDManager parent, Device device, DataType dtype) {
        LlamaConfig config = LlamaConfig.read(configDir.resolve("config.json"));
        Map<String, long[]> shapes = parameterShapes(config);
        try (CheckpointWeights weights = CheckpointWeights.open(weightsDir)) {
            for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                SafetensorsFile.Entry entry = weights.entry(e.getKey());
                if (!Arrays.equals(entry.shape(), e.getValue())) {
                    throw new CheckpointException(weights.fileOf(e.getKey()) + ": tensor '" + e.getKey()
                            + "' has shape " + Arrays.toString(entry.shape()) + ", config.json implies "
                            + Arrays.toString(e.getValue()));
                }
            }
            List<String> unexpected = new ArrayList<>();
            for (String name : weights.names()) {
                boolean skipped = name.endsWith(".rotary_emb.inv_freq")
                        || (config.tieWordEmbeddings() && name.equals("lm_head.weight"));
                if (!shapes.containsKey(name) && !skipped) {
                    unexpected.add(name);
                }
            }
            if (!unexpected.isEmpty()) {
                throw new CheckpointException(weightsDir + ": tensors that " + configDir.resolve("config.json")
                        + " (model_type " + config.modelType() + ") does not describe: "
                        + String.join(", ", unexpected.subList(0, Math.min(5, unexpected.size())))
                        + (unexpected.size() > 5 ? " and " + (unexpected.size() - 5) + " more" : ""));
            }
            return build(config, parent, device, dtype, weights::readInto);
        }
    }

    private static LlamaModel build(
            LlamaConfig config, NDManager parent, Device device, DataType dtype, NativeTensors.Filler filler) {
        NDManager manager = parent.newSubManager(device);
        manager.setName("llama-model");
        Map<String, NDArray> params;
        try {
            params = NativeTensors.create(parameterShapes(config), manager, device, dtype, filler);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        params.values().forEach(p -> p.setRequiresGradient(true));
        return new LlamaModel(config, dtype, params, manager);
    }

    static void save(LlamaModel model, Path dir, SafeDtype storage, long maxShardBytes) throws IOException {
        Files.createDirectories(dir);
        model.config().write(dir.resolve("config.json"), dtypeName(storage));
        Map<String, SafetensorsWriter.Source> sources = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
            sources.put(e.getKey(), new TensorSource(e.getValue()));
        }
        ShardedWriter.write(dir, sources, storage, maxShardBytes);
    }

    /** The {@code torch_dtype} name of a storage type. */
    static String dtypeName(SafeDtype d) {
        return switch (d) {
            case F32 -> "float32";
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> throw new IllegalArgumentException("not a weight dtype: " + d);
        };
    }

    private static double gaussian(SplittableRandom rng) {
        // Box-Muller: SplittableRandom has no nextGaussian in Java 17.
        double u1 = 1.0 - rng.nextDouble();
        double u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
