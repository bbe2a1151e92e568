package dev.revise.policies.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.revise.policies.checkpoint.CheckpointException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * PEFT's {@code adapter_config.json} for a LoRA adapter: what revise writes (the fields PEFT's
 * {@code LoraConfig} needs to load it onto the base with {@code PeftModel.from_pretrained}) and
 * reads. A PEFT option that changes the adapter's math and that revise does not implement (DoRA,
 * trained biases, per-module ranks, extra trained modules, ...) is refused by name.
 */
public record PeftAdapterConfig(LoraConfig lora, String baseModelNameOrPath) {
    public static final String FILE = "adapter_config.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Whether {@code dir} holds a PEFT adapter. */
    public static boolean isAdapter(Path dir) {
        return Files.isRegularFile(dir.resolve(FILE));
    }

    public void write(Path dir) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("peft_type", "LORA");
        o.put("task_type", "CAUSAL_LM");
        o.put("base_model_name_or_path", baseModelNameOrPath);
        o.put("r", lora.rank());
        o.put("lora_alpha", lora.alpha());
        o.put("lora_dropout", lora.dropout());
        ArrayNode targets = o.putArray("target_modules");
        lora.targets().forEach(targets::add);
        o.put("bias", "none");
        o.put("fan_in_fan_out", false);
        o.put("use_rslora", lora.rslora());
        o.put("use_dora", false);
        o.put("init_lora_weights", true);
        o.put("inference_mode", true);
        o.putNull("modules_to_save");
        o.putNull("layers_to_transform");
        o.putNull("layers_pattern");
        o.putObject("rank_pattern");
        o.putObject("alpha_pattern");
        Path tmp = dir.resolve(FILE + ".tmp");
        JSON.writeValue(tmp.toFile(), o);
        Files.move(tmp, dir.resolve(FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    public static PeftAdapterConfig read(Path dir) {
        Path file = dir.resolve(FILE);
        JsonNode o;
        try {
            o = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new CheckpointException(file + ": not readable JSON: " + e.getMessage(), e);
        }
        if (o == null || !o.isObject()) {
            throw new CheckpointException(file + ": expected a JSON object");
        }
        String type = o.path("peft_type").asText("");
        if (!type.equals("LORA")) {
            throw new CheckpointException(file + ": peft_type is '" + type + "'; revise loads LORA adapters only");
        }
        refuseIf(file, o, "use_dora", n -> n.asBoolean(false), "DoRA adapters are not implemented");
        refuseIf(
                file,
                o,
                "fan_in_fan_out",
                n -> n.asBoolean(false),
                "Conv1D-style (fan_in_fan_out) weights are GPT-2's, not Llama's");
        refuseIf(file, o, "bias", n -> !n.isNull() && !n.asText().equals("none"), "trained biases are not implemented");
        refuseIf(file, o, "lora_bias", n -> n.asBoolean(false), "trained LoRA biases are not implemented");
        refuseIf(
                file,
                o,
                "modules_to_save",
                n -> !n.isNull() && !n.isEmpty(),
                "fully trained extra modules are not implemented");
        refuseIf(file, o, "layers_to_transform", n -> !n.isNull(), "adapters on some layers only are not implemented");
        refuseIf(file, o, "rank_pattern", n -> !n.isNull() && !n.isEmpty(), "per-module ranks are not implemented");
        refuseIf(file, o, "alpha_pattern", n -> !n.isNull() && !n.isEmpty(), "per-module alphas are not implemented");
        refuseIf(file, o, "exclude_modules", n -> !n.isNull() && !n.isEmpty(), "excluded modules are not implemented");
        refuseIf(
                file,
                o,
                "target_parameters",
                n -> !n.isNull() && !n.isEmpty(),
                "targeting parameters is not implemented");
        int r = o.path("r").asInt(-1);
        double alpha = o.path("lora_alpha").asDouble(Double.NaN);
        double dropout = o.path("lora_dropout").asDouble(0);
        try {
            return new PeftAdapterConfig(
                    new LoraConfig(
                            r,
                            alpha,
                            dropout,
                            targets(file, o.path("target_modules")),
                            o.path("use_rslora").asBoolean(false)),
                    o.path("base_model_name_or_path").isTextual()
                            ? o.get("base_model_name_or_path").asText()
                            : null);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": " + e.getMessage().replace("policy.lora.", ""), e);
        }
    }

    private static List<String> targets(Path file, JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n.isTextual()) {
            if (n.asText().equals("all-linear")) {
                return LoraConfig.ALL_TARGETS;
            }
            throw new CheckpointException(file + ": target_modules '" + n.asText()
                    + "' is a regular expression; revise reads a list of module names or 'all-linear'");
        }
        if (!n.isArray()) {
            throw new CheckpointException(file + ": target_modules must be a list of module names, got " + n);
        }
        for (JsonNode t : n) {
            String name = t.asText();
            if (!LoraConfig.ALL_TARGETS.contains(name)) {
                throw new CheckpointException(file + ": target_modules names '" + name
                        + "'; revise adapts the projections of a Llama block only: " + LoraConfig.ALL_TARGETS);
            }
            out.add(name);
        }
        return out;
    }

    private static void refuseIf(
            Path file, JsonNode o, String key, java.util.function.Predicate<JsonNode> set, String why) {
        JsonNode n = o.get(key);
        if (n != null && set.test(n)) {
            throw new CheckpointException(file + ": " + key + " = " + n + ": " + why);
        }
    }
}
