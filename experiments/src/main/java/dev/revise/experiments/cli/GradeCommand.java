package dev.revise.experiments.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.revise.envs.grading.AnswerGrader;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Runs the answer checker over grader cases (one JSON object per line: id, kind equiv|extract,
 * pred, gold, input answer|pred_text|both_text, optional params.answer_type, optional expected).
 * Prints one JSON line per case, then a summary with pass rates per source repository when the
 * cases carry {@code expected}.
 */
@Command(name = "grade", description = "Check answers of grader cases (JSON lines on stdout).")
final class GradeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--cases", required = true, description = "JSONL file of grader cases")
    Path cases;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Map<String, int[]> bySource = new TreeMap<>();
        int[] total = new int[2];
        boolean anyExpected = false;
        try (BufferedReader reader = Files.newBufferedReader(cases)) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                String at = cases + ":" + number;
                JsonNode c;
                try {
                    c = Json.MAPPER.readTree(line);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalArgumentException(at + ": not valid JSON: " + e.getOriginalMessage());
                }
                if (c == null || !c.isObject()) {
                    throw new IllegalArgumentException(at + ": not a JSON object");
                }
                String id = required(c, "id", at);
                String kind = required(c, "kind", at);
                String pred = required(c, "pred", at);
                String input = c.path("input").asText("answer");
                JsonNode typeNode = c.path("params").path("answer_type");
                String type = typeNode.isTextual() ? typeNode.asText() : null;
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("id", id);
                result.put("kind", kind);
                Object value;
                try {
                    if (kind.equals("extract")) {
                        value = AnswerGrader.extract(pred, type).orElse(null);
                        result.put("extracted", value);
                    } else if (kind.equals("equiv")) {
                        String gold = required(c, "gold", at);
                        Optional<String> p =
                                input.equals("answer") ? Optional.of(pred) : AnswerGrader.extract(pred, type);
                        Optional<String> g =
                                input.equals("both_text") ? AnswerGrader.extract(gold, type) : Optional.of(gold);
                        value = p.isPresent() && g.isPresent() && AnswerGrader.equivalent(p.get(), g.get());
                        result.put("equivalent", value);
                    } else {
                        throw new IllegalArgumentException("field 'kind' must be equiv or extract, got '" + kind + "'");
                    }
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(at + ": " + e.getMessage(), e);
                }
                out.println(Json.MAPPER.writeValueAsString(result));
                if (c.has("expected")) {
                    anyExpected = true;
                    JsonNode expected = c.get("expected");
                    boolean pass = kind.equals("extract")
                            ? (expected.isNull()
                                    ? value == null
                                    : value != null && expected.asText().strip().equals(((String) value).strip()))
                            : expected.asBoolean() == (Boolean) value;
                    String source = c.path("source").asText("unknown");
                    int colon = source.indexOf(':');
                    int[] s =
                            bySource.computeIfAbsent(colon >= 0 ? source.substring(0, colon) : source, k -> new int[2]);
                    s[0]++;
                    total[0]++;
                    if (pass) {
                        s[1]++;
                        total[1]++;
                    }
                }
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("--cases " + cases + ": file not found");
        }
        if (anyExpected) {
            Map<String, Object> sources = new LinkedHashMap<>();
            bySource.forEach((k, v) -> sources.put(k, Map.of("n", v[0], "pass", v[1])));
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("total", Map.of("n", total[0], "pass", total[1]));
            summary.put("by_source", sources);
            out.println(Json.MAPPER.writeValueAsString(Map.of("summary", summary)));
        }
        out.flush();
        return 0;
    }

    private static String required(JsonNode c, String field, String at) {
        JsonNode v = c.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException(at + ": missing field '" + field + "'");
        }
        return v.asText();
    }
}
