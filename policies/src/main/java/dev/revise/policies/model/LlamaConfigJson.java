package dev.revise.policies.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.revise.policies.checkpoint.CheckpointException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads and writes a Hugging Face {@code config.json} as transformers 5.18 interprets it, for the
 * families revise implements. Both layouts are read: the 4.x one of Hub checkpoints (top-level
 * {@code rope_theta}, {@code rope_scaling}, {@code torch_dtype}) and the 5.x one ({@code
 * rope_parameters} holding {@code rope_theta}, {@code rope_type} and the scaling fields; {@code
 * dtype}). Missing keys take the defaults of the family's transformers config class.
 *
 * <p>Which key sets which {@link LlamaConfig} option:
 *
 * <ul>
 *   <li>all: {@code vocab_size}, {@code hidden_size}, {@code intermediate_size}, {@code
 *       num_hidden_layers}, {@code num_attention_heads}, {@code num_key_value_heads}, {@code
 *       head_dim}, {@code rms_norm_eps}, {@code max_position_embeddings}, {@code
 *       tie_word_embeddings}, {@code bos_token_id}, {@code eos_token_id} (an id or a list), the RoPE
 *       keys ({@code rope_type} default, linear, dynamic, llama3, yarn);
 *   <li>{@code llama}: {@code attention_bias} -> attentionBias and outputBias (q/k/v/o), {@code
 *       mlp_bias} -> mlpBias;
 *   <li>{@code qwen2}: attentionBias always (q/k/v, as Qwen2Attention); {@code
 *       use_sliding_window}, {@code sliding_window}, {@code max_window_layers}, {@code layer_types}
 *       -> slidingWindow when every layer slides;
 *   <li>{@code qwen3}: qkNorm always; {@code attention_bias} -> attentionBias and outputBias; the
 *       sliding keys as qwen2; {@code head_dim} defaults to 128;
 *   <li>{@code mistral}: {@code sliding_window} -> slidingWindow (4096 when the key is missing).
 * </ul>
 *
 * <p>Keys that change the math and are not implemented are errors naming the file, the key and the
 * value: a {@code quantization_config}, another {@code hidden_act} than silu, {@code
 * attention_dropout} above 0, {@code partial_rotary_factor} other than 1, RoPE types other than the
 * five above, per-layer RoPE dictionaries, and layer types that mix full and sliding attention.
 * Keys the family's transformers code does not read are ignored by both and listed in {@link
 * Read#ignored()}.
 */
public final class LlamaConfigJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Keys of every transformers config that do not change the model's math (bookkeeping, generation defaults). */
    private static final Set<String> BENIGN = Set.of(
            "architectures",
            "model_type",
            "transformers_version",
            "_name_or_path",
            "torch_dtype",
            "dtype",
            "use_cache",
            "initializer_range",
            "pad_token_id",
            "output_attentions",
            "output_hidden_states",
            "return_dict",
            "id2label",
            "label2id",
            "problem_type",
            "chunk_size_feed_forward",
            "is_encoder_decoder",
            "tokenizer_class",
            "pretraining_tp",
            "_attn_implementation",
            "attn_implementation",
            "torchscript",
            "use_bfloat16",
            "tf_legacy_loss",
            "pruned_heads",
            "max_length",
            "min_length",
            "do_sample",
            "early_stopping",
            "num_beams",
            "temperature",
            "top_k",
            "top_p",
            "repetition_penalty",
            "length_penalty",
            "no_repeat_ngram_size",
            "num_return_sequences");

    /** What was read: the architecture, the declared weight dtype (null if none) and the ignored keys. */
    public record Read(LlamaConfig config, String dtype, List<String> ignored) {}

    private LlamaConfigJson() {}

    public static Read read(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + ": file not found");
        } catch (IOException e) {
            throw new CheckpointException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException(file + ": not a JSON object");
        }
        try {
            return new Reader(root).read();
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": " + e.getMessage(), e);
        }
    }

    /** One pass over a config object, remembering which keys it read. */
    private static final class Reader {
        final JsonNode root;
        final Set<String> used = new HashSet<>();

        Reader(JsonNode root) {
            this.root = root;
        }

        Read read() {
            String type = text("model_type");
            if (!LlamaConfig.MODEL_TYPES.contains(type)) {
                throw new IllegalArgumentException("model_type '" + type + "' is not supported (supported: llama,"
                        + " qwen2, qwen3, mistral; SmolLM2 is llama)");
            }
            refuseUnimplemented();
            int hidden = integer("hidden_size", 4096);
            int heads = integer("num_attention_heads", 32);
            boolean qwen = type.startsWith("qwen");
            Integer kvDefault = type.equals("mistral") ? Integer.valueOf(8) : qwen ? Integer.valueOf(32) : null;
            int kv = optionalInteger("num_key_value_heads", kvDefault, heads);
            int headDim = type.equals("qwen3")
                    ? integer("head_dim", 128)
                    : optionalInteger("head_dim", null, heads > 0 ? hidden / heads : 1);
            int maxPositions = integer(
                    "max_position_embeddings",
                    switch (type) {
                        case "llama" -> 2048;
                        case "mistral" -> 131072;
                        default -> 32768;
                    });
            boolean attentionBias =
                    type.equals("llama") || type.equals("qwen3") ? bool("attention_bias", false) : false;
            boolean mlpBias = type.equals("llama") && bool("mlp_bias", false);
            int bos = firstId("bos_token_id", type.equals("llama") || type.equals("mistral") ? 1 : -1);
            List<Integer> eos = ids("eos_token_id", type.equals("llama") || type.equals("mistral") ? 2 : -1);
            double[] theta = new double[1];
            RopeScaling rope = new RopeReader(this, maxPositions).read(theta);
            LlamaConfig config = new LlamaConfig(
                    type,
                    integer("vocab_size", qwen ? 151936 : 32000),
                    hidden,
                    integer("intermediate_size", 11008),
                    integer("num_hidden_layers", 32),
                    heads,
                    kv,
                    headDim,
                    number("rms_norm_eps", 1e-6),
                    theta[0],
                    rope,
                    bool("tie_word_embeddings", false),
                    type.equals("qwen2") || attentionBias,
                    attentionBias,
                    mlpBias,
                    type.equals("qwen3"),
                    slidingWindow(type, integer("num_hidden_layers", 32)),
                    maxPositions,
                    bos,
                    eos);
            String dtype = root.hasNonNull("dtype")
                    ? root.get("dtype").asText()
                    : root.hasNonNull("torch_dtype") ? root.get("torch_dtype").asText() : null;
            List<String> ignored = new ArrayList<>();
            root.fieldNames().forEachRemaining(k -> {
                if (!used.contains(k) && !BENIGN.contains(k)) {
                    ignored.add(k);
                }
            });
            return new Read(config, dtype, ignored);
        }

        private void refuseUnimplemented() {
            JsonNode q = use("quantization_config");
            if (q != null && !q.isNull()) {
                throw new IllegalArgumentException("config key 'quantization_config' (" + q
                        + ") is not implemented: revise loads unquantized float32/float16/bfloat16 weights only");
            }
            JsonNode act = use("hidden_act");
            if (act != null
                    && !act.isNull()
                    && !act.asText().equals("silu")
                    && !act.asText().equals("swish")) {
                throw new IllegalArgumentException(
                        "config key 'hidden_act' has value " + act + ", which is not implemented (only silu)");
            }
            JsonNode dropout = use("attention_dropout");
            if (dropout != null && dropout.isNumber() && dropout.asDouble() != 0) {
                throw new IllegalArgumentException("config key 'attention_dropout' has value " + dropout
                        + ", which is not implemented (revise trains without attention dropout; set it to 0.0)");
            }
            JsonNode partial = use("partial_rotary_factor");
            if (partial != null && !partial.isNull() && partial.asDouble() != 1.0) {
                throw new IllegalArgumentException("config key 'partial_rotary_factor' has value " + partial
                        + ", which is not implemented (only 1.0: every head dimension rotates)");
            }
        }

        /** The window of every layer (0: full attention); mixed layers are refused. */
        private int slidingWindow(String type, int layers) {
            if (type.equals("mistral")) {
                JsonNode w = use("sliding_window");
                if (w == null) {
                    return 4096; // MistralConfig's default when the key is absent
                }
                return w.isNull() ? 0 : positive("sliding_window", w);
            }
            if (!type.startsWith("qwen")) {
                return 0; // LlamaConfig has no sliding window
            }
            boolean use = bool("use_sliding_window", false);
            JsonNode w = use("sliding_window");
            int window = w == null ? 4096 : w.isNull() ? 0 : positive("sliding_window", w);
            int maxWindowLayers = integer("max_window_layers", 28);
            JsonNode types = use("layer_types");
            if (!use || window == 0) {
                return 0; // transformers sets sliding_window to None unless use_sliding_window
            }
            List<Boolean> sliding = new ArrayList<>();
            if (types != null && !types.isNull()) {
                for (JsonNode t : types) {
                    String v = t.asText();
                    if (!v.equals("full_attention") && !v.equals("sliding_attention")) {
                        throw new IllegalArgumentException("config key 'layer_types' has value '" + v
                                + "', which is not implemented (full_attention, sliding_attention)");
                    }
                    sliding.add(v.equals("sliding_attention"));
                }
            } else {
                for (int i = 0; i < layers; i++) {
                    sliding.add(i >= maxWindowLayers);
                }
            }
            if (sliding.stream().allMatch(s -> !s)) {
                return 0;
            }
            if (sliding.stream().allMatch(s -> s)) {
                return window;
            }
            throw new IllegalArgumentException("config keys 'use_sliding_window' (true), 'sliding_window' (" + window
                    + ") and 'max_window_layers'/'layer_types' ("
                    + sliding.stream().filter(s -> s).count() + " of "
                    + sliding.size() + " layers sliding) mix full and sliding attention, which is not implemented;"
                    + " set use_sliding_window to false");
        }

        JsonNode use(String key) {
            used.add(key);
            return root.get(key);
        }

        String text(String key) {
            JsonNode n = use(key);
            if (n == null || !n.isTextual()) {
                throw new IllegalArgumentException("config key '" + key + "' is missing or not a string");
            }
            return n.asText();
        }

        int integer(String key, int fallback) {
            JsonNode n = use(key);
            if (n == null) {
                return fallback;
            }
            return asInt(key, n);
        }

        /** A key whose JSON null means {@code nullValue}; absent means {@code absent}, or {@code nullValue} if that is null. */
        int optionalInteger(String key, Integer absent, int nullValue) {
            JsonNode n = use(key);
            if (n == null) {
                return absent != null ? absent : nullValue;
            }
            return n.isNull() ? nullValue : asInt(key, n);
        }

        static int asInt(String key, JsonNode n) {
            if (!n.isIntegralNumber() || !n.canConvertToInt()) {
                throw new IllegalArgumentException("config key '" + key + "' must be an integer, got " + n);
            }
            return n.asInt();
        }

        static int positive(String key, JsonNode n) {
            int v = asInt(key, n);
            if (v < 1) {
                throw new IllegalArgumentException("config key '" + key + "' must be >= 1 or null, got " + n);
            }
            return v;
        }

        double number(String key, double fallback) {
            JsonNode n = use(key);
            if (n == null || n.isNull()) {
                return fallback;
            }
            if (!n.isNumber()) {
                throw new IllegalArgumentException("config key '" + key + "' must be a number, got " + n);
            }
            return n.asDouble();
        }

        boolean bool(String key, boolean fallback) {
            JsonNode n = use(key);
            if (n == null || n.isNull()) {
                return fallback;
            }
            if (!n.isBoolean()) {
                throw new IllegalArgumentException("config key '" + key + "' must be true or false, got " + n);
            }
            return n.asBoolean();
        }

        int firstId(String key, int fallback) {
            List<Integer> ids = ids(key, fallback);
            return ids.isEmpty() ? -1 : ids.get(0);
        }

        /** An id, a list of ids, or null (none); absent means {@code fallback} (-1: none). */
        List<Integer> ids(String key, int fallback) {
            JsonNode n = use(key);
            if (n == null) {
                return fallback >= 0 ? List.of(fallback) : List.of();
            }
            if (n.isNull()) {
                return List.of();
            }
            List<Integer> out = new ArrayList<>();
            if (n.isArray()) {
                for (JsonNode e : n) {
                    out.add(asInt(key, e));
                }
            } else {
                out.add(asInt(key, n));
            }
            return out;
        }
    }

    /** The RoPE settings of either layout, resolved as {@code standardize_rope_params} resolves them. */
    private record RopeReader(Reader r, int maxPositions) {
        RopeScaling read(double[] thetaOut) {
            JsonNode scaling = r.use("rope_scaling");
            JsonNode parameters = r.use("rope_parameters");
            JsonNode topTheta = r.use("rope_theta");
            JsonNode topOriginal = r.use("original_max_position_embeddings");
            // transformers 5: rope_scaling (a 4.x file) replaces rope_parameters; rope_theta is a default
            JsonNode p = scaling != null && !scaling.isNull() && scaling.size() > 0 ? scaling : parameters;
            String where = p == scaling ? "rope_scaling" : "rope_parameters";
            if (p != null && !p.isNull() && !p.isObject()) {
                throw new IllegalArgumentException("config key '" + where + "' must be an object or null, got " + p);
            }
            if (p != null && p.isObject()) {
                for (Map.Entry<String, JsonNode> e : p.properties()) {
                    if (e.getValue().isObject()) {
                        throw new IllegalArgumentException("config key '" + where + "." + e.getKey()
                                + "' holds per-layer-type RoPE parameters, which are not implemented");
                    }
                }
            }
            double theta = 10000.0;
            if (topTheta != null && !topTheta.isNull()) {
                theta = number("rope_theta", topTheta);
            }
            if (p != null && p.hasNonNull("rope_theta")) {
                theta = number(where + ".rope_theta", p.get("rope_theta"));
            }
            thetaOut[0] = theta;
            if (p == null || p.isNull()) {
                return RopeScaling.NONE;
            }
            JsonNode partial = p.get("partial_rotary_factor");
            if (partial != null && !partial.isNull() && partial.asDouble() != 1.0) {
                throw new IllegalArgumentException("config key '" + where + ".partial_rotary_factor' has value "
                        + partial + ", which is not implemented (only 1.0)");
            }
            String type = p.hasNonNull("rope_type")
                    ? p.get("rope_type").asText()
                    : p.hasNonNull("type") ? p.get("type").asText() : "default";
            String key = where + "." + (p.hasNonNull("rope_type") ? "rope_type" : "type");
            int original = topOriginal != null && !topOriginal.isNull()
                    ? Reader.asInt("original_max_position_embeddings", topOriginal)
                    : p.hasNonNull("original_max_position_embeddings")
                            ? Reader.asInt(
                                    where + ".original_max_position_embeddings",
                                    p.get("original_max_position_embeddings"))
                            : maxPositions;
            return switch (type) {
                case "default" -> RopeScaling.NONE;
                case "linear" -> RopeScaling.linear(required(p, where, "factor"));
                case "dynamic" -> RopeScaling.dynamic(required(p, where, "factor"));
                case "llama3" ->
                    RopeScaling.llama3(
                            required(p, where, "factor"),
                            required(p, where, "low_freq_factor"),
                            required(p, where, "high_freq_factor"),
                            original);
                case "yarn" -> yarn(p, where, original);
                default ->
                    throw new IllegalArgumentException("config key '" + key + "' has value '" + type
                            + "', which is not implemented (default, linear, dynamic, llama3, yarn)");
            };
        }

        private RopeScaling yarn(JsonNode p, String where, int original) {
            double factor = p.hasNonNull("factor")
                    ? number(where + ".factor", p.get("factor"))
                    : (double) maxPositions / original;
            double attention;
            if (p.hasNonNull("attention_factor")) {
                attention = number(where + ".attention_factor", p.get("attention_factor"));
            } else {
                double mscale = p.hasNonNull("mscale") ? p.get("mscale").asDouble() : 0;
                double mscaleAll =
                        p.hasNonNull("mscale_all_dim") ? p.get("mscale_all_dim").asDouble() : 0;
                attention = mscale != 0 && mscaleAll != 0
                        ? RopeScaling.yarnMscale(factor, mscale) / RopeScaling.yarnMscale(factor, mscaleAll)
                        : RopeScaling.yarnMscale(factor, 1);
            }
            // transformers: `get("beta_fast") or 32`, so 0 means the default too
            double fast = p.hasNonNull("beta_fast") && p.get("beta_fast").asDouble() != 0
                    ? p.get("beta_fast").asDouble()
                    : 32;
            double slow = p.hasNonNull("beta_slow") && p.get("beta_slow").asDouble() != 0
                    ? p.get("beta_slow").asDouble()
                    : 1;
            boolean truncate = !p.has("truncate") || p.get("truncate").asBoolean(true);
            return new RopeScaling("yarn", factor, 0, 0, original, attention, fast, slow, truncate);
        }

        private static double required(JsonNode p, String where, String key) {
            if (!p.hasNonNull(key)) {
                throw new IllegalArgumentException("config key '" + where + "." + key + "' is missing (rope type '"
                        + p.path("rope_type").asText(p.path("type").asText()) + "' needs it)");
            }
            return number(where + "." + key, p.get(key));
        }

        private static double number(String key, JsonNode n) {
            if (!n.isNumber()) {
                throw new IllegalArgumentException("config key '" + key + "' must be a number, got " + n);
            }
            return n.asDouble();
        }
    }

    /**
     * Writes the 4.x Hub layout (top-level {@code rope_theta} and {@code rope_scaling}, {@code
     * torch_dtype}), which transformers 4.x and 5.x and vLLM all read.
     */
    public static void write(LlamaConfig c, Path file, String dtype) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        String type = c.modelType();
        boolean llamaLike = type.equals("llama") || type.equals("qwen3");
        if (llamaLike && c.attentionBias() != c.outputBias()) {
            throw new IllegalArgumentException(type + " has one attention_bias for q/k/v and o_proj: got q/k/v "
                    + c.attentionBias() + ", o_proj " + c.outputBias());
        }
        if (type.equals("qwen2") && (!c.attentionBias() || c.outputBias())) {
            throw new IllegalArgumentException("qwen2 has bias on q/k/v and none on o_proj");
        }
        if (c.qkNorm() != type.equals("qwen3")) {
            throw new IllegalArgumentException("q/k RMSNorm is qwen3's, not " + type + "'s");
        }
        if (c.mlpBias() && !type.equals("llama")) {
            throw new IllegalArgumentException("mlp_bias is a llama option, not " + type + "'s");
        }
        if (c.slidingWindow() > 0 && type.equals("llama")) {
            throw new IllegalArgumentException("llama has no sliding window");
        }
        root.putArray("architectures")
                .add(
                        switch (type) {
                            case "qwen2" -> "Qwen2ForCausalLM";
                            case "qwen3" -> "Qwen3ForCausalLM";
                            case "mistral" -> "MistralForCausalLM";
                            default -> "LlamaForCausalLM";
                        });
        root.put("model_type", type);
        root.put("vocab_size", c.vocabSize());
        root.put("hidden_size", c.hiddenSize());
        root.put("intermediate_size", c.intermediateSize());
        root.put("num_hidden_layers", c.numHiddenLayers());
        root.put("num_attention_heads", c.numAttentionHeads());
        root.put("num_key_value_heads", c.numKeyValueHeads());
        root.put("head_dim", c.headDim());
        root.put("hidden_act", "silu");
        root.put("rms_norm_eps", c.rmsNormEps());
        root.put("rope_theta", c.ropeTheta());
        writeRope(root, c.ropeScaling());
        root.put("tie_word_embeddings", c.tieWordEmbeddings());
        root.put("max_position_embeddings", c.maxPositionEmbeddings());
        if (c.bosTokenId() >= 0) {
            root.put("bos_token_id", c.bosTokenId());
        } else {
            root.putNull("bos_token_id");
        }
        if (c.eosTokenIds().size() == 1) {
            root.put("eos_token_id", c.eosTokenIds().get(0));
        } else if (c.eosTokenIds().isEmpty()) {
            root.putNull("eos_token_id");
        } else {
            c.eosTokenIds().forEach(root.putArray("eos_token_id")::add);
        }
        if (llamaLike) {
            root.put("attention_bias", c.attentionBias());
        }
        if (type.equals("llama")) {
            root.put("mlp_bias", c.mlpBias());
        }
        if (type.startsWith("qwen")) {
            root.put("use_sliding_window", c.slidingWindow() > 0);
            if (c.slidingWindow() > 0) {
                root.put("sliding_window", c.slidingWindow());
                root.put("max_window_layers", 0);
            } else {
                root.putNull("sliding_window");
            }
        }
        if (type.equals("mistral")) {
            if (c.slidingWindow() > 0) {
                root.put("sliding_window", c.slidingWindow());
            } else {
                root.putNull("sliding_window");
            }
        }
        root.put("attention_dropout", 0.0);
        root.put("torch_dtype", dtype);
        Files.writeString(file, json.writeValueAsString(root) + "\n");
    }

    private static void writeRope(ObjectNode root, RopeScaling r) {
        if (r.isDefault()) {
            root.putNull("rope_scaling");
            return;
        }
        ObjectNode s = root.putObject("rope_scaling");
        s.put("rope_type", r.type());
        s.put("factor", r.factor());
        switch (r.type()) {
            case "llama3" -> {
                s.put("low_freq_factor", r.lowFreqFactor());
                s.put("high_freq_factor", r.highFreqFactor());
                s.put("original_max_position_embeddings", r.originalMaxPositions());
            }
            case "yarn" -> {
                s.put("original_max_position_embeddings", r.originalMaxPositions());
                s.put("attention_factor", r.attentionFactor());
                s.put("beta_fast", r.betaFast());
                s.put("beta_slow", r.betaSlow());
                s.put("truncate", r.truncate());
            }
            default -> {}
        }
    }
}
