package dev.revise.envs.grading;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the final answer in a model's response. The forms, tried in order of how explicit they
 * are: GSM8K's {@code #### N}, the last {@code \boxed{...}} or {@code \fbox{...}} (nested braces
 * kept), "the final answer is X" / "the answer is X", {@code A: N}, and optionally the last number
 * in the text.
 */
public final class AnswerExtraction {
    private static final Pattern HASHES = Pattern.compile("####\\s*([^\\n]+)");
    private static final Pattern FINAL_ANSWER =
            Pattern.compile("(?i)the (?:final )?answer is[:\\s]*\\$?([^\\n$]+?)\\$?\\s*(?:\\.\\s*)?(?:\\n|$)");
    private static final Pattern A_COLON = Pattern.compile("(?m)^\\s*A:\\s*([^\\n]+)");
    private static final Pattern NUMBER = Pattern.compile("-?\\d[\\d,]*(?:\\.\\d+)?|-?\\.\\d+");

    private AnswerExtraction() {}

    /** The answer of a response, or empty if it states none. */
    public static Optional<String> extract(String response, boolean lastNumberFallback) {
        Optional<String> boxed = lastBoxed(response);
        Matcher m = HASHES.matcher(response);
        String hashes = null;
        while (m.find()) {
            hashes = m.group(1).strip();
        }
        if (hashes != null) {
            return Optional.of(hashes);
        }
        if (boxed.isPresent()) {
            return boxed;
        }
        Matcher f = FINAL_ANSWER.matcher(response);
        String last = null;
        while (f.find()) {
            last = f.group(1).strip();
        }
        if (last != null) {
            return Optional.of(last);
        }
        Matcher a = A_COLON.matcher(response);
        while (a.find()) {
            last = a.group(1).strip();
        }
        if (last != null) {
            return Optional.of(last);
        }
        return lastNumberFallback ? lastNumber(response) : Optional.empty();
    }

    /** The content of the last {@code \boxed{...}} or {@code \fbox{...}}, braces balanced. */
    public static Optional<String> lastBoxed(String text) {
        int at = Math.max(text.lastIndexOf("\\boxed"), text.lastIndexOf("\\fbox"));
        if (at < 0) {
            return Optional.empty();
        }
        int open = text.indexOf('{', at);
        if (open < 0) {
            // \boxed 5 (no braces): the next token
            String rest = text.substring(at).replaceFirst("^\\\\(boxed|fbox)\\s*", "");
            String token = rest.split("[\\s$]", 2)[0];
            return token.isEmpty() ? Optional.empty() : Optional.of(token);
        }
        int depth = 0;
        for (int i = open; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '{') {
                depth++;
            } else if (c == '}') {
                depth--;
                if (depth == 0) {
                    return Optional.of(text.substring(open + 1, i).strip());
                }
            }
        }
        return Optional.empty(); // unbalanced: no answer rather than a truncated one
    }

    /** The last number in the text (thousands separators allowed). */
    public static Optional<String> lastNumber(String text) {
        Matcher m = NUMBER.matcher(text);
        String last = null;
        while (m.find()) {
            last = m.group();
        }
        return Optional.ofNullable(last);
    }
}
