package dev.revise.experiments.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.experiments.train.Checkpoints;
import dev.revise.policies.tokenizer.HfChatTemplate;
import dev.revise.policies.tokenizer.Tokenizers;
import dev.revise.rl.TextTokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Prints what the policy sees: {@code {"ids": [...], "tokens": [...], "text": "..."}} for a text,
 * or for a conversation rendered with the model's own chat template exactly as transformers'
 * {@code apply_chat_template(messages, add_generation_prompt=..., **template_args)} renders it
 * (ids encoded with no special tokens added, as {@code apply_chat_template(tokenize=True)}).
 */
@Command(
        name = "tokenize",
        description = "Print the token ids, token pieces and text the policy sees for a text or a conversation"
                + " (rendered with the model's own chat template), as JSON.")
final class TokenizeCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(
            names = "--checkpoint",
            required = true,
            description = "a Hugging Face checkpoint or tokenizer directory (tokenizer.json, and tokenizer_config.json"
                    + " or chat_template.jinja for --messages), or a run directory (its latest checkpoint)")
    Path checkpoint;

    static final class Input {
        @Option(names = "--text", description = "the text to tokenize as it is")
        String text;

        @Option(names = "--messages", description = "a JSON file: a list of {\"role\", \"content\"} messages")
        Path messages;

        @Option(
                names = "--batch",
                description = "a JSONL file, one request per line: {\"text\": ...} or {\"messages\": [...],"
                        + " \"add_generation_prompt\": bool, \"template_args\": {...}}; prints one JSON line each")
        Path batch;
    }

    @ArgGroup(multiplicity = "1")
    Input input;

    @Option(names = "--add-generation-prompt", description = "end with the header of the assistant turn to write")
    boolean addGenerationPrompt;

    @Option(
            names = "--template-arg",
            description = "key=value passed to the chat template (repeatable), e.g. enable_thinking=false; the value"
                    + " is read as JSON when it parses, else as a string")
    List<String> templateArgs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Path dir = Files.isRegularFile(checkpoint.resolve("tokenizer.json"))
                ? checkpoint
                : Checkpoints.resolveArgument(checkpoint, "--checkpoint");
        TextTokenizer tokenizer = Tokenizers.load(dir.resolve("tokenizer.json"));
        try {
            HfChatTemplate template = HfChatTemplate.load(dir).orElse(null);
            PrintWriter out = spec.commandLine().getOut();
            if (input.batch != null) {
                List<String> lines = Files.readAllLines(input.batch);
                for (int i = 0; i < lines.size(); i++) {
                    if (lines.get(i).isBlank()) {
                        continue;
                    }
                    String where = input.batch + ":" + (i + 1);
                    out.println(JSON.writeValueAsString(batchLine(lines.get(i), where, tokenizer, template, dir)));
                }
            } else if (input.text != null) {
                out.println(JSON.writeValueAsString(result(input.text, tokenizer)));
            } else {
                JsonNode messages = readJson(input.messages);
                String text = render(
                        messages,
                        addGenerationPrompt,
                        parseArgs(templateArgs),
                        template,
                        dir,
                        input.messages.toString());
                out.println(JSON.writeValueAsString(result(text, tokenizer)));
            }
            out.flush();
        } finally {
            if (tokenizer instanceof AutoCloseable c) {
                c.close();
            }
        }
        return 0;
    }

    private static Map<String, Object> batchLine(
            String line, String where, TextTokenizer tokenizer, HfChatTemplate template, Path dir) {
        JsonNode n;
        try {
            n = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (n == null || !n.isObject() || n.has("text") == n.has("messages")) {
            throw new IllegalArgumentException(where + ": expected an object with either \"text\" or \"messages\"");
        }
        if (n.has("text")) {
            if (!n.get("text").isTextual()) {
                throw new IllegalArgumentException(where + ": \"text\" must be a string");
            }
            return result(n.get("text").asText(), tokenizer);
        }
        JsonNode gen = n.path("add_generation_prompt");
        if (!gen.isMissingNode() && !gen.isBoolean()) {
            throw new IllegalArgumentException(where + ": \"add_generation_prompt\" must be true or false");
        }
        JsonNode args = n.path("template_args");
        if (!args.isMissingNode() && !args.isObject()) {
            throw new IllegalArgumentException(where + ": \"template_args\" must be an object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> argMap = args.isMissingNode() ? Map.of() : JSON.convertValue(args, Map.class);
        return result(render(n.get("messages"), gen.asBoolean(false), argMap, template, dir, where), tokenizer);
    }

    private static String render(
            JsonNode messages,
            boolean addGenerationPrompt,
            Map<String, Object> args,
            HfChatTemplate template,
            Path dir,
            String where) {
        if (template == null) {
            throw new IllegalArgumentException(dir + " has no chat template (tokenizer_config.json 'chat_template' or"
                    + " chat_template.jinja), so --messages cannot be rendered");
        }
        if (messages == null || !messages.isArray()) {
            throw new IllegalArgumentException(where + ": messages must be a JSON list of {\"role\", \"content\"}");
        }
        List<Map<String, Object>> list = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            if (!m.isObject() || !m.path("role").isTextual()) {
                throw new IllegalArgumentException(where + ": message " + (i + 1) + ": needs a string \"role\"");
            }
            if (!m.has("content")) {
                throw new IllegalArgumentException(where + ": message " + (i + 1) + ": needs \"content\"");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> map = JSON.convertValue(m, LinkedHashMap.class);
            list.add(map);
        }
        return template.renderMessages(list, addGenerationPrompt, args);
    }

    private static Map<String, Object> result(String text, TextTokenizer tokenizer) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ids", tokenizer.encode(text));
        m.put("tokens", Tokenizers.tokens(tokenizer, text));
        m.put("text", text);
        return m;
    }

    static Map<String, Object> parseArgs(List<String> assignments) {
        Map<String, Object> args = new LinkedHashMap<>();
        for (String a : assignments) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--template-arg " + a + ": expected key=value");
            }
            String value = a.substring(eq + 1);
            Object parsed;
            try {
                parsed = JSON.readValue(value, Object.class);
            } catch (IOException e) {
                parsed = value;
            }
            args.put(a.substring(0, eq), parsed);
        }
        return args;
    }

    private static JsonNode readJson(Path f) throws IOException {
        if (!Files.isRegularFile(f)) {
            throw new IllegalArgumentException(f + ": file not found");
        }
        try {
            return JSON.readTree(Files.readString(f));
        } catch (JsonProcessingException e) {
            String line = e.getLocation() == null ? "" : ":" + e.getLocation().getLineNr();
            throw new IllegalArgumentException(f + line + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
    }
}
