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
import java.util.Set;

/**
 * The architecture of a Llama-family decoder, as in a Hugging Face {@code config.json}. Covers
 * Llama, Qwen2 (bias on the Q/K/V projections) and SmolLM-style models (tied embeddings).
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
        boolean tieWordEmbeddings,
        boolean attentionBias,
        int maxPositionEmbeddings,
        int bosTokenId,
        int eosTokenId) {

    static final Set<String> MODEL_TYPES = Set.of("llama", "qwen2", "mistral");

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
        require(maxPositionEmbeddings > 0, "max_position_embeddings", "> 0, got " + maxPositionEmbeddings);
        require(bosTokenId >= -1 && bosTokenId < vocabSize, "bos_token_id", "in [0, vocab_size), got " + bosTokenId);
        require(eosTokenId >= -1 && eosTokenId < vocabSize, "eos_token_id", "in [0, vocab_size), got " + eosTokenId);
    }

    private static void require(boolean ok, String key, String expected) {
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

    /** Number of parameters (embedding counted once when tied). */
    public long parameterCount() {
        long d = hiddenSize;
        long attention = d * qDim() + 2 * d * kvDim() + (long) qDim() * d;
        if (attentionBias) {
            attention += qDim() + 2L * kvDim();
        }
        long mlp = 3 * d * intermediateSize;
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
                tieWordEmbeddings,
                attentionBias,
                maxPositionEmbeddings,
                bos,
                eos);
    }

    public LlamaConfig withMaxPositions(int positions) {
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
                tieWordEmbeddings,
                attentionBias,
                positions,
                bosTokenId,
                eosTokenId);
    }

    /** Reads {@code config.json}; errors name the file and key. */
    public static LlamaConfig read(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + ": file not found");
        } catch (IOException e) {
            throw new CheckpointException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException(file + ": not a JSON object");
        }
        try {
            String type = text(root, "model_type", file);
            int hidden = integer(root, "hidden_size", file, null);
            int heads = integer(root, "num_attention_heads", file, null);
            Integer headDimDefault = heads > 0 ? hidden / heads : 1;
            return new LlamaConfig(
                    type,
                    integer(root, "vocab_size", file, null),
                    hidden,
                    integer(root, "intermediate_size", file, null),
                    integer(root, "num_hidden_layers", file, null),
                    heads,
                    integer(root, "num_key_value_heads", file, heads),
                    integer(root, "head_dim", file, headDimDefault),
                    number(root, "rms_norm_eps", file, 1e-6),
                    number(root, "rope_theta", file, 10000.0),
                    bool(root, "tie_word_embeddings", file, false),
                    bool(root, "attention_bias", file, type.equals("qwen2")),
                    integer(root, "max_position_embeddings", file, 2048),
                    integer(root, "bos_token_id", file, -1),
                    integer(root, "eos_token_id", file, -1));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code config.json} in the Hugging Face layout. */
    public void write(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        String architecture =
                switch (modelType) {
                    case "qwen2" -> "Qwen2ForCausalLM";
                    case "mistral" -> "MistralForCausalLM";
                    default -> "LlamaForCausalLM";
                };
        root.putArray("architectures").add(architecture);
        root.put("model_type", modelType);
        root.put("vocab_size", vocabSize);
        root.put("hidden_size", hiddenSize);
        root.put("intermediate_size", intermediateSize);
        root.put("num_hidden_layers", numHiddenLayers);
        root.put("num_attention_heads", numAttentionHeads);
        root.put("num_key_value_heads", numKeyValueHeads);
        root.put("head_dim", headDim);
        root.put("rms_norm_eps", rmsNormEps);
        root.put("rope_theta", ropeTheta);
        root.put("tie_word_embeddings", tieWordEmbeddings);
        root.put("max_position_embeddings", maxPositionEmbeddings);
        if (bosTokenId >= 0) {
            root.put("bos_token_id", bosTokenId);
        }
        if (eosTokenId >= 0) {
            root.put("eos_token_id", eosTokenId);
        }
        root.put("hidden_act", "silu");
        root.put("attention_bias", attentionBias);
        root.put("torch_dtype", "float32");
        Files.writeString(file, json.writeValueAsString(root) + "\n");
    }

    private static String text(JsonNode root, String key, Path file) {
        JsonNode n = root.get(key);
        if (n == null || !n.isTextual()) {
            throw new IllegalArgumentException("config key '" + key + "' is missing or not a string");
        }
        return n.asText();
    }

    private static int integer(JsonNode root, String key, Path file, Integer fallback) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            if (fallback == null) {
                throw new IllegalArgumentException("config key '" + key + "' is missing");
            }
            return fallback;
        }
        if (n.isArray() && n.size() > 0 && n.get(0).canConvertToInt()) {
            return n.get(0).asInt(); // eos_token_id may be a list: the first is the canonical one
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new IllegalArgumentException("config key '" + key + "' must be an integer, got " + n);
        }
        return n.asInt();
    }

    private static double number(JsonNode root, String key, Path file, double fallback) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isNumber()) {
            throw new IllegalArgumentException("config key '" + key + "' must be a number, got " + n);
        }
        return n.asDouble();
    }

    private static boolean bool(JsonNode root, String key, Path file, boolean fallback) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isBoolean()) {
            throw new IllegalArgumentException("config key '" + key + "' must be true or false, got " + n);
        }
        return n.asBoolean();
    }
}
