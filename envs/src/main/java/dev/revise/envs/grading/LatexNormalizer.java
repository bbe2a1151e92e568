package dev.revise.envs.grading;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites a final answer into the subset of LaTeX that {@link MathParser} reads: math delimiters,
 * sizing and spacing commands, {@code \text{...}} wrappers, units, degrees and thousands separators
 * go; fraction variants become {@code \frac}; the words "and"/"or" between answers become {@code ;}.
 * Only formatting that never changes the meaning is removed.
 */
final class LatexNormalizer {
    private static final Pattern TEXT_COMMAND = Pattern.compile(
            "\\\\(?:text|textbf|textit|textrm|textnormal|mathrm|mbox|hbox|mathit|textsf)\\s*\\{([^{}]*)\\}");
    private static final Pattern TRAILING_TEXT_UNIT = Pattern.compile(
            "^(.*?[\\d}).])\\s*\\\\(?:text|textnormal|mbox|mathrm|textrm)\\s*\\{\\s*[A-Za-z][A-Za-z .]*\\}(\\^[23]|\\^\\{[23]\\})?\\s*$");
    private static final Pattern UNIT_WORDS = Pattern.compile(
            "(?i)^(.*?[\\d}).])\\s*(?:square |cubic )?(?:dollars?|cents?|units?|meters?|metres?|cm|mm|km|kg|grams?|hours?|hrs?|minutes?|mins?|seconds?|secs?|days?|weeks?|months?|years?|miles?|feet|foot|ft|inch(?:es)?|yards?|pounds?|lbs?|ounces?|oz|liters?|litres?|degrees?|mph|yuan|euros?|points?)(?:\\^[23]|\\^\\{[23]\\}|²|³)?\\s*$");
    private static final Pattern WHOLE_THOUSANDS = Pattern.compile("^([-+]?)([1-9]\\d{0,2}(?:,\\d{3})+)(\\.\\d+)?$");
    private static final Pattern SEPARATOR_WORD = Pattern.compile("(?i)(?<![A-Za-z\\\\])(?:and|or)(?![A-Za-z])");

    private LatexNormalizer() {}

    static String normalize(String answer) {
        String s = answer.strip();
        s = unbox(s);
        s = s.replace("\\$", "").replace("$", "");
        s = s.replaceAll("(?<!\\\\)\\\\[()\\[\\]]", " ");
        s = s.replaceAll("(\\d)\\s*\\{\\s*,\\s*\\}\\s*(?=\\d)", "$1");
        s = s.replaceAll("(\\d),\\\\!\\s*(?=\\d)", "$1");
        s = s.replaceAll("(\\d)\\\\[,;]\\s*(?=\\d{3})", "$1");
        s = s.replaceAll(
                "\\\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg)\\s*(?:\\.|(?=[^a-zA-Z]))", "");
        s = s.replaceAll("\\\\(?:displaystyle|textstyle|scriptstyle|limits|nolimits)(?![a-zA-Z])", "");
        s = s.replaceAll("\\\\q?quad(?![a-zA-Z])", " ");
        s = s.replaceAll("(?<!\\\\)\\\\[!,;:> ]", " ").replace("~", " ");
        s = s.replaceAll("\\\\[dtc]frac(?![a-zA-Z])", "\\\\frac");
        s = s.replaceAll("\\^\\s*\\{?\\s*\\\\circ\\s*\\}?", "")
                .replace("\\circ", "")
                .replace("°", "");
        s = s.replaceAll("\\\\degree(?![a-zA-Z])", "");
        s = s.replace("\\%", "%").replaceAll("(?i)(\\d)\\s*(?:pct|percent(?:age)?)(?![a-z])", "$1%");
        s = s.replaceAll("\\^\\{\\\\prime\\}|\\\\prime", "'");
        s = s.replace("\\lvert", "|")
                .replace("\\rvert", "|")
                .replace("\\vert", "|")
                .replace("\\mid", "|");
        s = s.replace("≤", "\\le ").replace("≥", "\\ge ").replace("≠", "\\ne ").replace("−", "-");
        s = s.replace("\\cdotp", "\\cdot").replace("·", "\\cdot ").replace("×", "\\times ");
        s = s.replaceAll("\\\\mathbb\\s*\\{?R\\}?", "(-\\\\infty, \\\\infty)");
        s = s.replaceAll("\\\\(?:emptyset|varnothing)(?![a-zA-Z])|\\\\\\{\\s*\\\\\\}", "\\\\{\\\\}");
        s = stripUnits(s);
        s = unwrapText(s);
        s = s.replaceAll("\\\\mathrm\\s*e(?![a-zA-Z])", "e");
        s = approximation(s);
        s = SEPARATOR_WORD.matcher(s).replaceAll(";");
        s = s.replaceAll("^[;,\\s]+|[;,\\s]+$", "");
        s = s.replaceAll("[.\\s]+$", "").replaceAll("\\\\+$", "").strip();
        s = s.replaceAll("\\s+", " ");
        Matcher t = WHOLE_THOUSANDS.matcher(s);
        if (t.matches()) {
            s = t.group(1) + t.group(2).replace(",", "") + (t.group(3) == null ? "" : t.group(3));
        }
        return s;
    }

    /** {@code \boxed{X}} as the whole answer is X. */
    private static String unbox(String s) {
        Matcher m = Pattern.compile("^\\\\(?:boxed|fbox)\\s*\\{").matcher(s);
        if (!m.find()) {
            return s;
        }
        int depth = 1;
        for (int i = m.end(); i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '{') {
                depth++;
            } else if (c == '}' && --depth == 0) {
                return s.substring(i + 1).matches("[\\s.$]*")
                        ? s.substring(m.end(), i).strip()
                        : s;
            }
        }
        return s;
    }

    private static String stripUnits(String s) {
        for (int i = 0; i < 3; i++) {
            Matcher m = TRAILING_TEXT_UNIT.matcher(s);
            if (m.matches()) {
                s = m.group(1);
                continue;
            }
            Matcher w = UNIT_WORDS.matcher(s);
            if (w.matches() && !w.group(1).isBlank()) {
                s = w.group(1);
                continue;
            }
            break;
        }
        return s;
    }

    /** {@code \text{and}} separates answers; other {@code \text{...}} keeps its content. */
    private static String unwrapText(String s) {
        for (int i = 0; i < 10; i++) {
            Matcher m = TEXT_COMMAND.matcher(s);
            if (!m.find()) {
                break;
            }
            String inner = m.group(1).strip();
            String replacement = inner.matches("(?i)and|or|,") ? " ; " : " " + inner + " ";
            s = s.substring(0, m.start()) + replacement + s.substring(m.end());
        }
        return s.strip();
    }

    /**
     * {@code x \approx 11} states the value 11, but in {@code x = 1/3 \approx 0.33} the rounding
     * after an exact value is commentary and is dropped.
     */
    private static String approximation(String s) {
        int at = s.indexOf("\\approx");
        if (at < 0) {
            return s;
        }
        String before = s.substring(0, at).strip();
        if (before.matches("[A-Za-z](_\\{?\\w+\\}?)?")) {
            return before + " = " + s.substring(at + "\\approx".length());
        }
        return before.isEmpty() ? s.substring(at + "\\approx".length()) : before;
    }
}
