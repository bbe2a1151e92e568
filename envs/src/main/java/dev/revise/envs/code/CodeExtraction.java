package dev.revise.envs.code;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** Finds the candidate program in a model's response and completes it into a HumanEval program. */
public final class CodeExtraction {
    private static final Pattern FENCE = Pattern.compile("^\\s*(`{3,}|~{3,})\\s*([\\w+#.-]*).*$");
    private static final Pattern TOP_LEVEL_DEF = Pattern.compile("(?m)^(async\\s+def|def|class)\\s");

    private CodeExtraction() {}

    /**
     * The code of a response: the last {@code ```python} block, else the last fenced block of any
     * language, else the whole text. An unclosed last fence runs to the end (a truncated response).
     * Returns an empty string when there is no code at all.
     */
    public static String candidate(String response) {
        List<String[]> blocks = fencedBlocks(response);
        for (int i = blocks.size() - 1; i >= 0; i--) {
            String lang = blocks.get(i)[0].toLowerCase(Locale.ROOT);
            if (lang.equals("python") || lang.equals("py") || lang.equals("python3")) {
                return blocks.get(i)[1];
            }
        }
        if (!blocks.isEmpty()) {
            return blocks.get(blocks.size() - 1)[1];
        }
        return response.isBlank() ? "" : response;
    }

    /** {language, body} of each fenced block, in order. */
    static List<String[]> fencedBlocks(String text) {
        List<String[]> blocks = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        String open = null;
        String lang = "";
        StringBuilder body = new StringBuilder();
        for (String line : lines) {
            var m = FENCE.matcher(line);
            if (open == null) {
                if (m.matches()) {
                    open = m.group(1);
                    lang = m.group(2);
                    body.setLength(0);
                }
            } else if (m.matches() && m.group(2).isEmpty() && m.group(1).startsWith(open)) {
                blocks.add(new String[] {lang, body.toString()});
                open = null;
            } else {
                body.append(line).append('\n');
            }
        }
        if (open != null && !body.toString().isBlank()) {
            blocks.add(new String[] {lang, body.toString()});
        }
        return blocks;
    }

    /** Whether the code defines {@code name} as a function (at any indentation). */
    public static boolean definesFunction(String code, String name) {
        return Pattern.compile("(?m)^\\s*(async\\s+)?def\\s+" + Pattern.quote(name) + "\\s*\\(")
                .matcher(code)
                .find();
    }

    /**
     * The HumanEval program text before the tests. The prompt is always prepended: a body
     * completion needs the signature, and a whole function needs the imports and helper functions
     * some prompts define before the entry point (the prompt's own stub, a function holding only
     * its docstring, is then simply redefined by the candidate). A body written without
     * indentation is indented, a common model habit that would otherwise be a syntax error.
     */
    public static String humanEvalProgram(String prompt, String candidate, String entryPoint) {
        String code = candidate;
        if (!definesFunction(code, entryPoint) && !TOP_LEVEL_DEF.matcher(code).find() && !startsIndented(code)) {
            code = indent(code);
        }
        String sep = prompt.endsWith("\n") ? "" : "\n";
        if (definesFunction(code, entryPoint)) {
            sep += "\n";
        }
        return prompt + sep + code;
    }

    private static boolean startsIndented(String code) {
        for (String line : code.split("\n")) {
            if (!line.isBlank()) {
                return line.startsWith(" ") || line.startsWith("\t");
            }
        }
        return true;
    }

    private static String indent(String code) {
        StringBuilder out = new StringBuilder();
        for (String line : code.split("\n", -1)) {
            out.append(line.isBlank() ? "" : "    " + line).append('\n');
        }
        return out.toString();
    }
}
