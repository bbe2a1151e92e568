package dev.revise.envs.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One non-blank line of a task file, already parsed as a JSON object. Field accessors fail with
 * the file and line ({@link #at()}) so every loader reports malformed input the same way.
 *
 * @param node the JSON object
 * @param at {@code <file>:<line>}, the prefix of every error message about this line
 * @param number the 1-based line number
 * @param idPrefix the prefix for line-numbered ids ({@link #lineId()})
 */
public record JsonlLine(JsonNode node, String at, int number, String idPrefix) {

    /** A required scalar field as text. */
    public String text(String field) {
        return optionalText(field)
                .orElseThrow(() -> new IllegalArgumentException(at + ": missing field '" + field + "'"));
    }

    /** A scalar field as text, empty when absent or null. */
    public Optional<String> optionalText(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (v.isContainerNode()) {
            throw new IllegalArgumentException(at + ": field '" + field + "' must be a string or number, got " + v);
        }
        return Optional.of(v.asText());
    }

    /** A required non-empty array of strings. */
    public List<String> textList(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException(at + ": missing field '" + field + "'");
        }
        if (!v.isArray() || v.isEmpty()) {
            throw new IllegalArgumentException(at + ": field '" + field + "' must be a non-empty list of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual()) {
                throw new IllegalArgumentException(
                        at + ": field '" + field + "' must be a list of strings, got element " + e);
            }
            out.add(e.asText());
        }
        return out;
    }

    /** The id of a task numbered by its line: {@code <idPrefix>-<line>}. */
    public String lineId() {
        return idPrefix + "-" + number;
    }
}
