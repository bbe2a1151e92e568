package dev.revise.envs.grading;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The answer checker behind {@code revise grade} and {@link MathVerifier}: extraction by answer
 * type and equivalence of two final answers. Equivalence tries, cheapest first: exact rational
 * equality of plain numbers ({@link NumericAnswer}); equality after removing formatting that never
 * changes meaning; then the symbolic comparison: both answers normalised ({@link LatexNormalizer}),
 * parsed to expression trees ({@link MathParser}) and compared structurally and by exact or
 * high-precision evaluation ({@link MathEquivalence}). Answers that do not parse are equal only
 * textually; {@code equivalent} never throws on malformed input.
 */
public final class AnswerGrader {
    /** A stated choice; any capital letter, since some tasks label options beyond E. */
    private static final Pattern CHOICE =
            Pattern.compile("(?i)(?:answer is|answer:)\\s*\\(?([A-Z])\\)?(?=[\\s.,;:!)]*$|[.,;:!)])");

    private static final Pattern LEADING_LETTER = Pattern.compile("^\\s*\\(?([A-E])\\)?[.:)](?:\\s|$)");
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
            case "gsm8k_hash" -> last(HASHES.matcher(text)).map(AnswerGrader::withoutThousands);
            case "gsm8k_A_colon" -> last(A_COLON.matcher(text));
            case "gsm8k_number" -> AnswerExtraction.lastNumber(text).map(s -> s.replace(",", ""));
            case "boxed" -> AnswerExtraction.lastBoxed(text);
            case "multiple_choice_letter" -> {
                Optional<String> stated = last(CHOICE.matcher(text));
                if (stated.isPresent()) {
                    yield stated.map(s -> s.toUpperCase(Locale.ROOT));
                }
                // "A. Because B is wrong": an answer that opens with its letter
                Optional<String> leading = last(LEADING_LETTER.matcher(text));
                yield leading.isPresent() ? leading : last(LONE_LETTER.matcher(text));
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

    private static String withoutThousands(String answer) {
        return answer.matches("[-+]?\\d{1,3}(,\\d{3})+(\\.\\d+)?") ? answer.replace(",", "") : answer;
    }

    /** Whether a predicted final answer equals a reference one, with the default options. */
    public static boolean equivalent(String pred, String gold) {
        return equivalent(pred, gold, GradingOptions.DEFAULT);
    }

    /**
     * Whether a predicted final answer equals a reference one. Mostly symmetric; where it is not,
     * the reference decides (see {@link MathEquivalence}: a predicted {@code x = 5} is 5, a
     * reference {@code 7 = 11a + c} is an equation).
     */
    public static boolean equivalent(String pred, String gold, GradingOptions options) {
        if (NumericAnswer.parse(pred).isPresent() && NumericAnswer.equivalent(pred, gold)) {
            return true;
        }
        String a = normalise(pred);
        if (!a.isEmpty() && a.equals(normalise(gold))) {
            return true;
        }
        try {
            String p = LatexNormalizer.normalize(pred);
            String g = LatexNormalizer.normalize(gold);
            if (p.isEmpty() || g.isEmpty()) {
                return false;
            }
            if (p.replace(" ", "").equalsIgnoreCase(g.replace(" ", ""))) {
                return true;
            }
            if (isWords(p) || isWords(g)) {
                return false; // "Evelyn" is a name, not the product E·v·e·l·y·n
            }
            return new MathEquivalence(options).equivalent(MathParser.parse(p), MathParser.parse(g));
        } catch (RuntimeException e) {
            return false; // not mathematics we can read: the textual comparisons above decided
        }
    }

    private static boolean isWords(String s) {
        return s.matches("[A-Za-z ]+") && s.matches(".*[A-Za-z]{2,}.*");
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
