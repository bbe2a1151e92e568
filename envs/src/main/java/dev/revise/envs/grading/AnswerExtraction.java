package dev.revise.envs.grading;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the final answer in a model's response. The forms, tried in order of how explicit they
 * are: GSM8K's {@code #### N}; the last {@code \boxed{...}} or {@code \fbox{...}} (nested braces
 * kept), together with the boxes just before it when only "and", "or" or commas stand between
 * them ({@code \boxed{1}, \boxed{2}} answers 1, 2); "the final answer is X" / "the answer is X";
 * {@code A: N}; the last math span ({@code $...$}, {@code $$...$$}, {@code \(...\)}, {@code
 * \[...\]}, joined the same way); and optionally the last number in the text.
 */
public final class AnswerExtraction {
    private static final Pattern HASHES = Pattern.compile("####\\s*([^\\n]+)");
    private static final Pattern STATED = Pattern.compile("(?i)(?:final answer|the answer)\\s*(?:is|:)");
    private static final Pattern STATED_END = Pattern.compile("(?i)\\bI hope\\b|<\\||\\n\\s*\\n");
    private static final Pattern A_COLON = Pattern.compile("(?m)^\\s*A:\\s*([^\\n]+)");
    /**
     * Plain-text numbers: thousands grouped by commas or spaces ({@code 1,000}, {@code 1 000}),
     * decimals with a point or a comma ({@code 2,74}), fractions {@code a/b}; not inside words.
     */
    private static final Pattern NUMBER = Pattern.compile(
            "(?<![A-Za-z0-9.,])[-+]?(?:[1-9]\\d{0,2}(?:,\\d{3})+(?!\\d)|[1-9]\\d{0,2}(?: \\d{3})+(?![\\d,])|\\d+)"
                    + "(?:\\.\\d+|,\\d+(?![\\d,]))?(?:\\s*/\\s*\\d+(?!\\d|\\.\\d))?|(?<![A-Za-z0-9.])-?\\.\\d+"
                    + "|-?\\\\[dt]?frac\\{\\d+\\}\\{\\d+\\}");

    private static final Pattern WORDS = Pattern.compile("[A-Za-z]{2,}\\s+[A-Za-z]{2,}");

    private AnswerExtraction() {}

    /** A region of the text and the answer it holds. */
    private record Span(int start, int end, String content, boolean valid) {}

    /** The answer of a response, or empty if it states none. */
    public static Optional<String> extract(String response, boolean lastNumberFallback) {
        Matcher m = HASHES.matcher(response);
        String hashes = null;
        while (m.find()) {
            hashes = m.group(1).strip();
        }
        if (hashes != null) {
            return Optional.of(hashes);
        }
        Optional<String> boxed = joined(boxes(response), response);
        if (boxed.isPresent()) {
            return boxed;
        }
        Optional<String> stated = stated(response);
        if (stated.isPresent()) {
            return stated;
        }
        Matcher a = A_COLON.matcher(response);
        String last = null;
        while (a.find()) {
            last = a.group(1).strip();
        }
        if (last != null) {
            return Optional.of(last);
        }
        List<Span> spans = mathSpans(response);
        Optional<String> math = joined(spans, response);
        // numbers inside math, or inside a $ pair broken across lines (markup gone wrong), are
        // not prose numbers
        StringBuilder masked = new StringBuilder(response);
        for (Span s : spans) {
            for (int i = s.start(); i < s.end(); i++) {
                masked.setCharAt(i, ' ');
            }
        }
        if (lastNumberFallback) {
            // a prose number after the last formula is the later statement
            int lastSpanEnd =
                    spans.stream().filter(Span::valid).mapToInt(Span::end).max().orElse(-1);
            Matcher n = NUMBER.matcher(masked);
            int lastNumberAt = -1;
            while (n.find()) {
                lastNumberAt = n.start();
            }
            if (lastNumberAt > lastSpanEnd && lastSpanEnd >= 0) {
                return lastNumber(masked.substring(lastNumberAt));
            }
        }
        if (math.isPresent()) {
            String content = math.get();
            return parses(content) ? math : lastNumber(content).or(() -> math);
        }
        // a bare LaTeX formula with no delimiters ("\\frac{4}{23}") is its own answer
        String bare = response.strip();
        if (bare.contains("\\") && bare.length() <= 200 && !WORDS.matcher(bare).find() && parses(bare)) {
            return Optional.of(bare);
        }
        return lastNumberFallback ? lastNumber(masked.toString()) : Optional.empty();
    }

    /** The content of the last {@code \boxed{...}} or {@code \fbox{...}}, braces balanced. */
    public static Optional<String> lastBoxed(String text) {
        List<Span> all = boxes(text);
        return all.isEmpty()
                ? Optional.empty()
                : Optional.of(all.get(all.size() - 1).content());
    }

    private static List<Span> boxes(String text) {
        List<Span> out = new ArrayList<>();
        Matcher m = Pattern.compile("\\\\(?:boxed|fbox)").matcher(text);
        int from = 0;
        while (m.find(from)) {
            int i = m.end();
            while (i < text.length() && text.charAt(i) == ' ') {
                i++;
            }
            if (i < text.length() && text.charAt(i) == '{') {
                int close = closing(text, i);
                if (close < 0) {
                    break; // unbalanced: no answer rather than a truncated one
                }
                out.add(new Span(
                        m.start(), close + 1, text.substring(i + 1, close).strip(), true));
                from = close + 1;
            } else {
                // \boxed 5 (no braces): the next token
                Matcher t = Pattern.compile("[^\\s$.,]+").matcher(text);
                if (i > m.end() && t.find(i) && t.start() == i) {
                    out.add(new Span(m.start(), t.end(), t.group(), true));
                    from = t.end();
                } else {
                    from = m.end();
                }
            }
        }
        return out;
    }

    private static int closing(String text, int open) {
        int depth = 0;
        for (int i = open; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length() && (text.charAt(i + 1) == '{' || text.charAt(i + 1) == '}')) {
                i++;
            } else if (c == '{') {
                depth++;
            } else if (c == '}' && --depth == 0) {
                return i;
            }
        }
        return -1;
    }

    /** {@code $$..$$}, {@code \[..\]}, {@code \(..\)} and single-line {@code $..$}, in order. */
    private static List<Span> mathSpans(String text) {
        List<Span> out = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            String open = null;
            String close = null;
            if (c == '\\' && i + 1 < text.length()) {
                char d = text.charAt(i + 1);
                if (d == '[' || d == '(') {
                    open = "\\" + d;
                    close = d == '[' ? "\\]" : "\\)";
                } else {
                    i += 2; // an escaped \$ or any other command
                    continue;
                }
            } else if (text.startsWith("$$", i)) {
                open = "$$";
                close = "$$";
            } else if (c == '$') {
                open = "$";
                close = "$";
            }
            if (open == null) {
                i++;
                continue;
            }
            int end = indexOfUnescaped(text, close, i + open.length());
            if (end < 0) {
                i += open.length();
                continue;
            }
            String content = text.substring(i + open.length(), end);
            boolean valid = !(open.equals("$") && content.contains("\n")) && !content.isBlank();
            out.add(new Span(i, end + close.length(), content.strip(), valid));
            i = end + close.length();
        }
        return out;
    }

    private static int indexOfUnescaped(String text, String token, int from) {
        for (int at = text.indexOf(token, from); at >= 0; at = text.indexOf(token, at + 1)) {
            if (token.startsWith("\\") || at == 0 || text.charAt(at - 1) != '\\') {
                return at;
            }
        }
        return -1;
    }

    /** The last valid span, with the spans before it that only connectives separate, joined by ", ". */
    private static Optional<String> joined(List<Span> spans, String text) {
        int last = spans.size() - 1;
        while (last >= 0 && !spans.get(last).valid()) {
            last--;
        }
        if (last < 0) {
            return Optional.empty();
        }
        List<String> parts = new ArrayList<>();
        parts.add(spans.get(last).content());
        for (int j = last - 1; j >= 0; j--) {
            Span s = spans.get(j);
            if (!s.valid()
                    || !connective(text.substring(s.end(), spans.get(j + 1).start()))) {
                break;
            }
            parts.add(0, s.content());
        }
        List<String> distinct = parts.stream().distinct().toList();
        return Optional.of(String.join(", ", distinct));
    }

    /** Whether the text between two answers only joins them ("and", "or", commas, spacing). */
    private static boolean connective(String gap) {
        String g = gap.replaceAll("\\\\(?:text|textbf|mathrm|mbox)\\s*\\{([^{}]*)\\}", " $1 ")
                .replaceAll("\\\\q?quad|\\\\[,;! ]|\\\\[()\\[\\]]|\\$|~", " ")
                .strip();
        if (g.matches("[,;\\s]*")) {
            return true;
        }
        String[] words = g.split("[\\s,;]+");
        return words.length <= 4 && g.matches("(?is).*\\b(?:and|or)\\b.*");
    }

    /** "The final answer is X" / "the answer is X": the math or the value of that sentence. */
    private static Optional<String> stated(String text) {
        Matcher m = STATED.matcher(text);
        int at = -1;
        while (m.find()) {
            at = m.end();
        }
        if (at < 0) {
            return Optional.empty();
        }
        String region = text.substring(at);
        Matcher end = STATED_END.matcher(region);
        if (end.find()) {
            region = region.substring(0, end.start());
        }
        Matcher is = Pattern.compile("(?i)\\bis\\b").matcher(region);
        int after = -1;
        while (is.find()) {
            after = is.end();
        }
        if (after >= 0) {
            region = region.substring(after);
        }
        region = region.replaceFirst("^[\\s:]+", "");
        List<Span> spans = mathSpans(region);
        if (!spans.isEmpty() && spans.get(0).valid()) {
            return Optional.of(spans.get(0).content());
        }
        String sentence = region.split("\\.(?=\\s|$)|\\n", 2)[0].strip().replaceAll("^\"|\"$", "");
        if (sentence.isEmpty()) {
            return Optional.empty();
        }
        if (!WORDS.matcher(sentence).find() && parses(sentence)) {
            return Optional.of(sentence);
        }
        return lastNumber(sentence);
    }

    private static boolean parses(String answer) {
        try {
            MathParser.parse(LatexNormalizer.normalize(answer));
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The last number in the text, with thousands separators removed and a decimal comma read as a point. */
    public static Optional<String> lastNumber(String text) {
        Matcher m = NUMBER.matcher(text);
        String last = null;
        while (m.find()) {
            last = m.group();
        }
        if (last == null) {
            return Optional.empty();
        }
        String n = last.replaceAll("\\s+", "");
        if (n.matches("[-+]?[1-9]\\d{0,2}(,\\d{3})+(\\.\\d+)?")) {
            n = n.replace(",", "");
        } else {
            n = n.replace(',', '.');
        }
        return Optional.of(n);
    }
}
