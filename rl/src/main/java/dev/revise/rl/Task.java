package dev.revise.rl;

import java.util.Map;
import java.util.Objects;

/**
 * One problem. Immutable.
 *
 * @param id stable identifier (unique within its source), used for seeding and reporting
 * @param prompt the problem text shown to the policy (the environment wraps it in its template)
 * @param answer the reference final answer in the form the task's verifier compares against
 *     (for code tasks: the canonical solution, or empty)
 * @param metadata source-specific fields (e.g. {@code solution}, {@code level}, {@code test},
 *     {@code entry_point}); copied and unmodifiable
 */
public record Task(String id, String prompt, String answer, Map<String, String> metadata) {
    public Task {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(answer, "answer");
        metadata = Map.copyOf(metadata);
    }

    public Task(String id, String prompt, String answer) {
        this(id, prompt, answer, Map.of());
    }

    /** A metadata field that must be present; the error names the task and the field. */
    public String require(String key) {
        String v = metadata.get(key);
        if (v == null) {
            throw new IllegalArgumentException("task '" + id + "' has no metadata field '" + key + "'");
        }
        return v;
    }
}
