package dev.revise.policies.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.FatalTemplateErrorsException;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.revise.policies.checkpoint.CheckpointException;
import dev.revise.rl.Message;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A model's own chat template: the Jinja {@code chat_template} of its {@code
 * tokenizer_config.json}, rendered with Jinjava the way Hugging Face's {@code
 * apply_chat_template} does (trim_blocks and lstrip_blocks on; {@code messages}, {@code
 * add_generation_prompt}, {@code bos_token}, {@code eos_token} and {@code raise_exception} bound).
 */
public final class HfChatTemplate implements ChatFormat {
    private final String template;
    private final String bosToken;
    private final String eosToken;
    private final String endOfTurn;
    private final Jinjava jinjava;

    public HfChatTemplate(String template, String bosToken, String eosToken, String endOfTurn) {
        this.template = template;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.endOfTurn = endOfTurn;
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withFailOnUnknownTokens(false)
                .build());
        jinjava.getGlobalContext()
                .registerFunction(new ELFunctionDefinition(
                        "", "raise_exception", HfChatTemplate.class, "raiseException", String.class));
    }

    /** The message of the last raise_exception on this thread (Jinjava wraps and drops it). */
    private static final ThreadLocal<String> RAISED = new ThreadLocal<>();

    /** Throws the template's own error (bound as {@code raise_exception} in templates). */
    public static String raiseException(String message) {
        RAISED.set(message);
        throw new IllegalArgumentException("chat template: " + message);
    }

    /**
     * The template of {@code tokenizer_config.json} in {@code dir}, if the file exists and has one.
     *
     * @throws CheckpointException naming the file and key if the file or the template is malformed
     */
    public static Optional<HfChatTemplate> load(Path dir) {
        Path file = dir.resolve("tokenizer_config.json");
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new CheckpointException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        JsonNode node = root.path("chat_template");
        String template = null;
        if (node.isTextual()) {
            template = node.asText();
        } else if (node.isArray()) {
            for (JsonNode named : node) {
                if ("default".equals(named.path("name").asText())) {
                    template = named.path("template").asText();
                }
            }
            if (template == null) {
                throw new CheckpointException(file + ": key 'chat_template' is a list without a 'default' entry");
            }
        } else if (!node.isMissingNode() && !node.isNull()) {
            throw new CheckpointException(
                    file + ": key 'chat_template' must be a string or a list of {name, template}");
        }
        if (template == null) {
            return Optional.empty();
        }
        String eos = tokenText(root.path("eos_token"));
        String endOfTurn =
                template.contains("<|im_end|>") ? "<|im_end|>" : template.contains("<|eot_id|>") ? "<|eot_id|>" : eos;
        return Optional.of(new HfChatTemplate(template, tokenText(root.path("bos_token")), eos, endOfTurn));
    }

    private static String tokenText(JsonNode node) {
        if (node.isTextual()) {
            return node.asText();
        }
        if (node.isObject()) {
            return node.path("content").asText("");
        }
        return "";
    }

    @Override
    public String render(List<Message> conversation) {
        List<Map<String, Object>> messages = new ArrayList<>();
        for (Message m : conversation) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("role", m.role().wireName());
            entry.put("content", m.content());
            messages.add(entry);
        }
        Map<String, Object> bindings = new LinkedHashMap<>();
        bindings.put("messages", messages);
        bindings.put("add_generation_prompt", true);
        bindings.put("bos_token", bosToken);
        bindings.put("eos_token", eosToken);
        RAISED.remove();
        try {
            return jinjava.render(template, bindings);
        } catch (FatalTemplateErrorsException e) {
            String raised = RAISED.get();
            RAISED.remove();
            throw new IllegalArgumentException(
                    "chat template failed: " + (raised != null ? raised : e.getMessage()), e);
        }
    }

    @Override
    public String endOfTurn() {
        return endOfTurn;
    }

    public String template() {
        return template;
    }
}
