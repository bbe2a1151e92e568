package dev.revise.envs.grading;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The answer checker behind {@code revise grade}: extraction by answer type and equivalence of two
 * final answers. Equivalence is exact rational equality when both sides are numbers
 * ({@link NumericAnswer}), else equality after removing formatting that never changes meaning
 * (dollar signs, spacing, {@code \left}/{@code \right}, {@code \text{...}} wrappers, {@code \dfrac}
 * vs {@code \frac}, a trailing period). Symbolic LaTeX (expressions, sets, intervals, {@code \sqrt},
 * {@code \pi}) is compared only in that normalised textual form: the full symbolic grader is not
 * built yet.
 */
public final class AnswerGrader {
    private static final Pattern CHOICE = Pattern.compile("(?i)(?:answer is|answer:)\\s*\\(?([A-E])\\)?\\b");
    private static final Pattern LONE_LETTER = Pattern.compile("\\(?\\b([A-E])\\b\\)?");
    private static final Pattern HASHES = Pattern.compile("####\\s*([^\\n]+)");
    private static final Pattern A_COLON = Pattern.compile("(?m)^\\s*A:\\s*([^\\n]+)");

    private AnswerGrader() {}

    /**
     * The answer of {@code text} for an answer type ({@code gsm8k_hash}, {@code gsm8k_A_colon},
     * {@code gsm8k_number}, {@code boxed}, {@code multiple_choice_letter}), or the general
     * extraction when the type is null.
     *
     * @throws IllegalArgumentException for an unknown answer type
     */
    public static Optional<String> extract(String text, String answerType) {
        if (answerType == null) {
            return AnswerExtraction.extract(text, true);
        }
        return switch (answerType) {
            case "gsm8k_hash" -> last(HASHES.matcher(text));
            case "gsm8k_A_colon" -> last(A_COLON.matcher(text));
            case "gsm8k_number" -> AnswerExtraction.lastNumber(text).map(s -> s.replace(",", ""));
            case "boxed" -> AnswerExtraction.lastBoxed(text);
            case "multiple_choice_letter" -> {
                Optional<String> stated = last(CHOICE.matcher(text));
                yield stated.isPresent()
                        ? stated.map(s -> s.toUpperCase(Locale.ROOT))
                        : last(LONE_LETTER.matcher(text));
            }
            default ->
                throw new IllegalArgumentException("unknown answer_type '" + answerType
                        + "'; expected gsm8k_hash, gsm8k_A_colon, gsm8k_number, boxed or multiple_choice_letter");
        };
    }

    private static Optional<String> last(Matcher m) {
        String found = null;
        while (m.find()) {
            found = m.group(1).strip();
        }
        return Optional.ofNullable(found);
    }

    /** Whether two final answers are the same. */
    public static boolean equivalent(String a, String b) {
        if (NumericAnswer.parse(a).isPresent() && NumericAnswer.parse(b).isPresent()) {
            return NumericAnswer.equivalent(a, b);
        }
        return normalise(a).equals(normalise(b));
    }

    static String normalise(String s) {
        String t = s.strip();
        Optional<String> boxed = AnswerExtraction.lastBoxed(t);
        if (boxed.isPresent() && t.startsWith("\\boxed")) {
            t = boxed.get();
        }
        t = t.replace("$", "")
                .replace("\\left", "")
                .replace("\\right", "")
                .replace("\\!", "")
                .replace("\\,", "")
                .replace("\\;", "")
                .replace("\\dfrac", "\\frac")
                .replace("\\tfrac", "\\frac")
                .replace("^\\circ", "")
                .replace("^{\\circ}", "")
                .replace("\\%", "");
        t = t.replaceAll("\\\\(text|mathrm|textbf|mbox)\\{([^{}]*)\\}", "$2");
        t = t.replaceAll("\\s+", "");
        t = t.replaceAll("[.]$", "");
        return t.toLowerCase(Locale.ROOT);
    }
}
