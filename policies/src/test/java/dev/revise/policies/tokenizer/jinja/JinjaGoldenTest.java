package dev.revise.policies.tokenizer.jinja;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every case of goldens.jsonl, which tools/interop/jinja_goldens.py rendered with the real jinja2
 * in transformers' chat-template environment, renders byte for byte the same here (or fails with
 * the same kind of error, at the same line for syntax errors).
 */
class JinjaGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The instant jinja_goldens.py pins strftime_now to. */
    static final Clock FIXED = Clock.fixed(Instant.parse("2024-07-26T14:05:09Z"), ZoneOffset.UTC);

    static List<JsonNode> goldens() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        try (InputStream in = JinjaGoldenTest.class.getResourceAsStream("/jinja/goldens.jsonl");
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (!line.isBlank()) {
                    out.add(JSON.readTree(line));
                }
            }
        }
        return out;
    }

    static Stream<Arguments> cases() throws IOException {
        return goldens().stream().map(g -> Arguments.of(g.get("name").asText(), g));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rendersAsJinja2Does(String name, JsonNode golden) {
        String template = golden.get("template").asText();
        @SuppressWarnings("unchecked")
        Map<String, Object> context = JSON.convertValue(golden.get("context"), Map.class);
        if (golden.has("expected")) {
            String out = JinjaTemplate.parse(template).render(context, FIXED);
            assertThat(out).as(name).isEqualTo(golden.get("expected").asText());
            return;
        }
        JinjaException e =
                catchThrowableOfType(() -> JinjaTemplate.parse(template).render(context, FIXED), JinjaException.class);
        assertThat(e)
                .as(name + " should fail like jinja2: " + golden.get("error").asText())
                .isNotNull();
        String kind = golden.has("java_kind")
                ? golden.get("java_kind").asText()
                : golden.get("error_type").asText();
        assertThat(e.kind().name()).as(name + ": " + e.getMessage()).isEqualTo(kind);
        assertThat(e.getMessage())
                .as(name)
                .contains(golden.get("error_contains").asText());
        if (golden.has("error_line")) {
            assertThat(e.line())
                    .as(name + ": " + e.getMessage())
                    .isEqualTo(golden.get("error_line").asInt());
        }
    }

    @Test
    void corpusCoversTheRealQwen3TemplateAndTheStyleTemplates() throws IOException {
        List<String> names = goldens().stream().map(g -> g.get("name").asText()).toList();
        assertThat(names).hasSizeGreaterThan(300);
        for (String family :
                List.of("qwen3/", "chatml_default_system/", "smol_chatml/", "inst_style/", "header_style/")) {
            assertThat(names).as(family).anyMatch(n -> n.startsWith(family));
        }
    }
}
