package dev.revise.experiments.train;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.revise.experiments.config.ConfigTree;
import dev.revise.policies.DeviceSpec;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.ModelShapes;
import dev.revise.policies.lora.LoraAdapter;
import dev.revise.policies.lora.LoraConfig;
import dev.revise.policies.lora.PeftAdapterConfig;
import dev.revise.policies.model.LlamaConfig;
import dev.revise.policies.model.LlamaModel;
import dev.revise.policies.tokenizer.CharTokenizer;
import dev.revise.policies.tokenizer.ChatFormat;
import dev.revise.policies.tokenizer.HfChatTemplate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Builds the policy a config describes ({@code policy.*}): a Hugging Face checkpoint, or random
 * weights of a named shape seeded by the run seed. Building twice gives identical weights, which
 * is how the frozen reference of a resumed run equals the one of the original run.
 */
public final class PolicyFactory {
    /** The characters of the synthetic task (the quickstart's 0.53M-parameter model). */
    public static final String SYNTHETIC_ALPHABET = "0123456789+-*=;:|QA";

    private final ConfigTree config;

    public PolicyFactory(ConfigTree config) {
        this.config = config;
    }

    public DeviceSpec device() {
        return new DeviceSpec(config.string("run.device"), config.string("run.dtype"));
    }

    /** The checkpoint directory the policy starts from, or null for random weights. */
    public Path checkpoint() {
        String path = config.optionalString("policy.checkpoint");
        return path == null ? null : Path.of(path);
    }

    /** The architecture, without loading any weights (for dry runs and compatibility checks). */
    public LlamaConfig architecture() {
        Path dir = checkpoint();
        if (dir != null && isAdapterOnly(dir)) {
            // an adapter directory (a LoRA run's checkpoint) has the architecture of its base
            dir = Path.of(PeftAdapterConfig.read(dir).baseModelNameOrPath());
        }
        if (dir != null) {
            Path file = dir.resolve("config.json");
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("policy.checkpoint: " + dir + " has no config.json");
            }
            return LlamaConfig.read(file);
        }
        return randomShape(tokenizerForShape());
    }

    /** A policy for inference (rollouts, the frozen reference, evaluation): weights in {@code run.dtype}. */
    public LlamaPolicy build(NDManager root) {
        return build(root, device());
    }

    /**
     * The policy being trained: float32 weights whatever {@code run.dtype} says, since AdamW's updates
     * of a few 1e-6 vanish below bfloat16's and float16's rounding.
     */
    public LlamaPolicy buildTrained(NDManager root) {
        refuseAdapterStart();
        LlamaPolicy policy = build(root, trainedDevice());
        policy.model().setActivationCheckpointing(config.bool("train.activation_checkpointing"));
        LoraConfig lora = lora();
        if (lora == null) {
            return policy;
        }
        try {
            // its own stream: the base's weights do not depend on whether an adapter is trained
            long seed = config.longValue("run.seed") ^ 0x4C6F5241L;
            return policy.withAdapter(LoraAdapter.create(
                    policy.config(), lora, root, trainedDevice().toDevice(), DataType.FLOAT32, seed));
        } catch (RuntimeException e) {
            policy.close();
            throw e;
        }
    }

    /** Training starts from a full model: an adapter directory is refused, saying what to do instead. */
    public void refuseAdapterStart() {
        if (checkpoint() != null && isAdapterOnly(checkpoint())) {
            throw new IllegalArgumentException("policy.checkpoint: " + checkpoint() + " is a LoRA adapter; train from"
                    + " a full model: merge it first ('revise export --checkpoint " + checkpoint()
                    + " --merge --out DIR'), or continue its run with 'revise train --run-dir RUN --resume'");
        }
    }

    private static boolean isAdapterOnly(Path dir) {
        return PeftAdapterConfig.isAdapter(dir) && !dev.revise.policies.checkpoint.CheckpointWeights.exists(dir);
    }

    /**
     * {@code policy.lora.*}, or null for full fine-tuning ({@code rank: 0}); the other keys set
     * with rank 0 are refused (they would change nothing).
     */
    public LoraConfig lora() {
        int rank = config.integer("policy.lora.rank", 0, 1 << 16);
        if (rank == 0) {
            for (String k : List.of("policy.lora.alpha", "policy.lora.dropout", "policy.lora.targets")) {
                if (!config.isDefault(k)) {
                    throw new IllegalArgumentException(k + " is set but policy.lora.rank is 0 (full fine-tuning):"
                            + " set policy.lora.rank to train an adapter");
                }
            }
            return null;
        }
        double alpha = config.number("policy.lora.alpha", Double.MIN_VALUE, 1e9);
        double dropout = config.number("policy.lora.dropout", 0, 0.999);
        return new LoraConfig(rank, alpha, dropout, targets(config.node("policy.lora.targets")));
    }

    private static List<String> targets(com.fasterxml.jackson.databind.JsonNode n) {
        List<String> out = new java.util.ArrayList<>();
        if (n != null && n.isTextual()) {
            String text = n.asText().trim();
            if (text.equals("all") || text.equals("all-linear")) {
                return LoraConfig.ALL_TARGETS;
            }
            for (String t : text.replace("[", "").replace("]", "").split(",")) {
                if (!t.isBlank()) {
                    out.add(t.trim());
                }
            }
            return out;
        }
        if (n == null || !n.isArray()) {
            throw new IllegalArgumentException(
                    "policy.lora.targets must be a list of projections (" + LoraConfig.ALL_TARGETS + "), got " + n);
        }
        n.forEach(t -> out.add(t.asText()));
        return out;
    }

    /** {@code run.device} with float32 weights: the trained policy's. */
    public DeviceSpec trainedDevice() {
        return new DeviceSpec(device().device(), "float32");
    }

    private LlamaPolicy build(NDManager root, DeviceSpec device) {
        Path dir = checkpoint();
        if (dir != null) {
            LlamaPolicy loaded = LlamaPolicy.load(dir, root, device);
            String format = config.choice("policy.chat_format", "plain", "chatml", "model");
            Map<String, Object> args = templateArgs();
            if (format.equals("model")) {
                if (!(loaded.chatFormat() instanceof HfChatTemplate template)) {
                    loaded.close();
                    throw new IllegalArgumentException("policy.chat_format: model, but " + dir
                            + " has no chat template (tokenizer_config.json chat_template or chat_template.jinja)");
                }
                return args.isEmpty() ? loaded : loaded.withChatFormat(template.withArgs(args));
            }
            refuseArgs(args, format);
            // the loaded policy's weights are reused; only how conversations render changes
            return loaded.withChatFormat(chat(format));
        }
        CharTokenizer tokenizer = tokenizerForShape();
        LlamaConfig shape = randomShape(tokenizer);
        String format = config.choice("policy.chat_format", "plain", "chatml");
        refuseArgs(templateArgs(), format);
        return new LlamaPolicy(
                LlamaModel.random(shape, root, device.toDevice(), device.dataType(), config.longValue("run.seed")),
                tokenizer,
                null,
                chat(format));
    }

    private CharTokenizer tokenizerForShape() {
        String shape = config.string("policy.shape");
        if (shape.equals("synthetic")) {
            return CharTokenizer.of(SYNTHETIC_ALPHABET, List.of());
        }
        try {
            return ModelShapes.defaultTokenizer(ModelShapes.named(shape).vocabSize());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("policy.shape: " + e.getMessage() + ", synthetic", e);
        }
    }

    private LlamaConfig randomShape(CharTokenizer tokenizer) {
        String shape = config.string("policy.shape");
        LlamaConfig base = shape.equals("synthetic")
                ? LlamaConfig.of(32, 128, 2, 4, 4, 512, false, 1e4)
                : ModelShapes.named(shape);
        int positions = config.integer("policy.max_positions", 8, 1 << 20);
        return base.withSpecialTokens(
                        tokenizer.bosId().orElse(-1), tokenizer.eosId().orElse(-1))
                .withMaxPositions(positions);
    }

    /** {@code policy.template_args}: extra variables of the model's chat template (e.g. enable_thinking). */
    public Map<String, Object> templateArgs() {
        com.fasterxml.jackson.databind.JsonNode n = config.node("policy.template_args");
        if (n == null || n.isNull() || n.isEmpty()) {
            return Map.of();
        }
        if (!n.isObject()) {
            throw new IllegalArgumentException("policy.template_args must be a map, got " + n);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = new com.fasterxml.jackson.databind.ObjectMapper().convertValue(n, Map.class);
        return m;
    }

    private static void refuseArgs(Map<String, Object> args, String format) {
        if (!args.isEmpty()) {
            throw new IllegalArgumentException("policy.template_args " + args.keySet()
                    + " are arguments of the model's own chat template, but policy.chat_format is " + format
                    + " (set it to model, or remove them)");
        }
    }

    private static ChatFormat chat(String format) {
        return format.equals("plain") ? ChatFormat.PLAIN : ChatFormat.CHATML;
    }
}
