package dev.revise.policies.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.policies.checkpoint.CheckpointException;
import dev.revise.policies.tokenizer.jinja.JinjaException;
import dev.revise.policies.tokenizer.jinja.JinjaTemplate;
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
 * A model's own Jinja chat template, rendered as transformers' {@code apply_chat_template} renders
 * it: the template of {@code chat_template.jinja} (which transformers 5 writes and prefers) or of
 * {@code tokenizer_config.json}'s {@code chat_template} (a string, or the {@code default} entry of a
 * list), evaluated by revise's Jinja engine ({@link JinjaTemplate}: jinja2's sandboxed semantics
 * with trim_blocks and lstrip_blocks, HF's {@code tojson}, {@code raise_exception} and {@code
 * strftime_now}) with the context transformers passes: {@code messages}, {@code tools} and {@code
 * documents} (None), {@code add_generation_prompt}, the tokenizer's named special tokens ({@code
 * bos_token}, {@code eos_token}, ...) and the template arguments (e.g. Qwen3's {@code
 * enable_thinking}), which override special tokens of the same name.
 */
public final class HfChatTemplate implements ChatFormat {
    /** The named special tokens transformers binds (SPECIAL_TOKENS_ATTRIBUTES). */
    static final List<String> SPECIAL_TOKEN_KEYS =
            List.of("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token");

    /** End-of-turn markers of common templates, in the order they are looked for. */
    private static final List<String> END_OF_TURN_MARKERS =
            List.of("<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>", "<|eot|>");

    private final String source;
    private final JinjaTemplate template;
    private final Map<String, String> specialTokens;
    private final String endOfTurn;
    private final Map<String, Object> args;

    public HfChatTemplate(String source, Map<String, String> specialTokens, Map<String, Object> args) {
        this.source = source;
        try {
            this.template = JinjaTemplate.parse(source);
        } catch (JinjaException e) {
            throw new IllegalArgumentException("chat template does not parse: " + e.getMessage(), e);
        }
        this.specialTokens = Map.copyOf(specialTokens);
        this.args = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(args));
        String eot = specialTokens.getOrDefault("eos_token", "");
        for (String marker : END_OF_TURN_MARKERS) {
            if (source.contains(marker)) {
                eot = marker;
                break;
            }
        }
        this.endOfTurn = eot;
    }

    /** A template with bos/eos tokens only and no arguments (tests, simple formats). */
    public HfChatTemplate(String source, String bosToken, String eosToken) {
        this(source, tokens(bosToken, eosToken), Map.of());
    }

    private static Map<String, String> tokens(String bos, String eos) {
        Map<String, String> m = new LinkedHashMap<>();
        if (bos != null) {
            m.put("bos_token", bos);
        }
        if (eos != null) {
            m.put("eos_token", eos);
        }
        return m;
    }

    /** The same template rendered with {@code templateArgs} (e.g. {@code enable_thinking: false}). */
    public HfChatTemplate withArgs(Map<String, Object> templateArgs) {
        return new HfChatTemplate(source, specialTokens, templateArgs);
    }

    /**
     * The template of {@code dir}: {@code chat_template.jinja} if present, else the {@code
     * chat_template} of {@code tokenizer_config.json}; empty when there is none.
     *
     * @throws CheckpointException naming the file and key if a file or the template is malformed
     */
    public static Optional<HfChatTemplate> load(Path dir) {
        Path config = dir.resolve("tokenizer_config.json");
        JsonNode root = null;
        try {
            root = new ObjectMapper().readTree(Files.readString(config));
        } catch (NoSuchFileException e) {
            // a template file alone is still a template
        } catch (IOException e) {
            throw new CheckpointException(config + ": not valid JSON: " + e.getMessage(), e);
        }
        String template = null;
        Path where = config;
        Path jinja = dir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            try {
                template = Files.readString(jinja);
                where = jinja;
            } catch (IOException e) {
                throw new CheckpointException(jinja + ": cannot be read: " + e.getMessage(), e);
            }
        } else if (root != null) {
            JsonNode node = root.path("chat_template");
            if (node.isTextual()) {
                template = node.asText();
            } else if (node.isArray()) {
                for (JsonNode named : node) {
                    if ("default".equals(named.path("name").asText())) {
                        template = named.path("template").asText();
                    }
                }
                if (template == null) {
                    throw new CheckpointException(config + ": key 'chat_template' is a list without a 'default' entry");
                }
            } else if (!node.isMissingNode() && !node.isNull()) {
                throw new CheckpointException(
                        config + ": key 'chat_template' must be a string or a list of {name, template}");
            }
        }
        if (template == null) {
            return Optional.empty();
        }
        // named special tokens: tokenizer_config.json's; a legacy config (no added_tokens_decoder) takes
        // special_tokens_map.json's over its own, as transformers merges them
        JsonNode legacy = null;
        Path map = dir.resolve("special_tokens_map.json");
        if (Files.isRegularFile(map) && (root == null || !root.has("added_tokens_decoder"))) {
            try {
                legacy = new ObjectMapper().readTree(Files.readString(map));
            } catch (IOException e) {
                throw new CheckpointException(map + ": not valid JSON: " + e.getMessage(), e);
            }
        }
        Map<String, String> special = new LinkedHashMap<>();
        for (String key : SPECIAL_TOKEN_KEYS) {
            String v = root == null ? null : tokenText(root.path(key));
            if (legacy != null && tokenText(legacy.path(key)) != null) {
                v = tokenText(legacy.path(key));
            }
            if (v != null) {
                special.put(key, v);
            }
        }
        try {
            return Optional.of(new HfChatTemplate(template, special, Map.of()));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(where + ": " + e.getMessage(), e);
        }
    }

    /** A token given as a string or as an AddedToken object ({@code {"content": ...}}); null if unset. */
    private static String tokenText(JsonNode node) {
        if (node.isTextual()) {
            return node.asText();
        }
        if (node.isObject() && node.path("content").isTextual()) {
            return node.path("content").asText();
        }
        return null;
    }

    @Override
    public String render(List<Message> conversation) {
        return render(conversation, true);
    }

    @Override
    public String render(List<Message> conversation, boolean addGenerationPrompt) {
        List<Map<String, Object>> messages = new ArrayList<>();
        for (Message m : conversation) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("role", m.role().wireName());
            entry.put("content", m.content());
            messages.add(entry);
        }
        return renderMessages(messages, addGenerationPrompt, Map.of());
    }

    /**
     * Renders messages given as maps (which may carry more than role and content: {@code
     * reasoning_content}, {@code tool_calls}), with {@code extraArgs} over the template's own.
     */
    public String renderMessages(
            List<Map<String, Object>> messages, boolean addGenerationPrompt, Map<String, Object> extraArgs) {
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("messages", messages);
        context.put("tools", null);
        context.put("documents", null);
        context.put("add_generation_prompt", addGenerationPrompt);
        context.putAll(specialTokens);
        context.putAll(args);
        context.putAll(extraArgs);
        try {
            return template.render(context);
        } catch (JinjaException e) {
            throw new IllegalArgumentException("chat template failed: " + e.getMessage(), e);
        }
    }

    @Override
    public String endOfTurn() {
        return endOfTurn;
    }

    public String source() {
        return source;
    }

    public Map<String, String> specialTokens() {
        return specialTokens;
    }

    public Map<String, Object> args() {
        return args;
    }
}
