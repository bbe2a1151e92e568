package dev.revise.envs.tasks;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Which JSON fields of a task file hold what.
 *
 * @param name the format's name, for messages
 * @param idField the id field, or null to number tasks by line ({@code <source>-<line>})
 * @param promptField the problem text
 * @param answerField the reference answer (passed through {@code answerExtractor})
 * @param metadataFields fields copied into {@code Task.metadata} when present
 * @param answerExtractor turns the answer field into the final answer the verifier compares
 */
public record JsonlFormat(
        String name,
        String idField,
        String promptField,
        String answerField,
        List<String> metadataFields,
        UnaryOperator<String> answerExtractor) {

    public JsonlFormat {
        if (promptField == null || answerField == null) {
            throw new IllegalArgumentException("a task format needs a prompt field and an answer field");
        }
        metadataFields = List.copyOf(metadataFields);
    }

    /** Plain fields, the answer used as is. */
    public static JsonlFormat generic(String idField, String promptField, String answerField) {
        return new JsonlFormat("jsonl", idField, promptField, answerField, List.of(), a -> a.strip());
    }

    /**
     * GSM8K: {@code question}, {@code answer} = worked solution with {@code <<...>>} calculator
     * annotations ending in {@code #### N}; the final answer is N without thousands separators.
     */
    public static final JsonlFormat GSM8K =
            new JsonlFormat("gsm8k", null, "question", "answer", List.of(), JsonlFormat::gsm8kFinalAnswer);

    /** MATH / MATH500: {@code problem}, {@code answer}, with solution, subject and level kept. */
    public static final JsonlFormat MATH = new JsonlFormat(
            "math", "unique_id", "problem", "answer", List.of("solution", "subject", "level"), a -> a.strip());

    /** The text after the last {@code ####}, commas removed. */
    public static String gsm8kFinalAnswer(String solution) {
        int at = solution.lastIndexOf("####");
        if (at < 0) {
            throw new IllegalArgumentException("GSM8K answer has no '####' final answer");
        }
        return solution.substring(at + 4).strip().replace(",", "");
    }
}
