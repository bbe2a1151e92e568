package dev.revise.envs.grading;

import dev.revise.envs.grading.MathExpr.Num;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A position in a LaTeX string, the lexical steps of {@link MathParser} and its tables of known commands. */
abstract class LatexCursor {
    /** Input the parser does not understand. */
    static final class ParseException extends RuntimeException {
        ParseException(String message) {
            super(message);
        }
    }

    static final Set<String> FUNCTIONS = Set.of(
            "sin", "cos", "tan", "sec", "csc", "cot", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "ln", "log",
            "exp", "lg");
    static final Set<String> PLAIN_FUNCTIONS = Set.of("sqrt", "sin", "cos", "tan", "log", "ln", "exp");
    static final Map<String, String> RELATIONS = Map.ofEntries(
            Map.entry("le", "<="),
            Map.entry("leq", "<="),
            Map.entry("leqslant", "<="),
            Map.entry("ge", ">="),
            Map.entry("geq", ">="),
            Map.entry("geqslant", ">="),
            Map.entry("lt", "<"),
            Map.entry("gt", ">"),
            Map.entry("ne", "!="),
            Map.entry("neq", "!="),
            Map.entry("in", "in"));
    /** Commands that end an implicit product rather than start a factor. */
    static final Set<String> STOPPERS = Set.of(
            "cdot",
            "times",
            "div",
            "cup",
            "cap",
            "pm",
            "mp",
            "right",
            "end",
            "le",
            "leq",
            "ge",
            "geq",
            "lt",
            "gt",
            "ne",
            "neq",
            "in",
            "leqslant",
            "geqslant",
            "setminus");

    String relOp() {
        ws();
        for (String op : List.of("<=", ">=", "!=", "=", "<", ">")) {
            if (s.startsWith(op, pos)) {
                pos += op.length();
                return op;
            }
        }
        String c = peekCommand();
        if (c != null && RELATIONS.containsKey(c)) {
            pos += c.length() + 1;
            return RELATIONS.get(c);
        }
        return null;
    }

    /** Whether an implicit product continues here; never before a digit ({@code 12 13} is not 156). */
    boolean startsFactor() {
        if (pos >= s.length()) {
            return false;
        }
        char c = s.charAt(pos);
        if (Character.isLetter(c) || c == '(' || c == '{') {
            return true;
        }
        if (c == '\\') {
            String cmd = peekCommand();
            return cmd != null ? !STOPPERS.contains(cmd) && !RELATIONS.containsKey(cmd) : s.startsWith("\\{", pos);
        }
        return false;
    }

    boolean nextIsFunction() {
        String cmd = peekCommand();
        return cmd != null && (FUNCTIONS.contains(cmd) || cmd.equals("frac") || cmd.equals("sqrt"));
    }

    final String s;
    int pos;

    LatexCursor(String s) {
        this.s = s;
    }

    /** A subscript kept as text: it names a symbol rather than being evaluated. */
    String rawArgument() {
        ws();
        if (pos < s.length() && s.charAt(pos) == '{') {
            int close = matching(pos, '{', '}');
            String inner = s.substring(pos + 1, close).replaceAll("\\s+", "");
            pos = close + 1;
            return inner;
        }
        if (pos < s.length() && s.charAt(pos) == '\\') {
            String cmd = peekCommand();
            if (cmd != null) {
                pos += cmd.length() + 1;
                return cmd;
            }
        }
        if (pos < s.length() && Character.isLetterOrDigit(s.charAt(pos))) {
            return String.valueOf(s.charAt(pos++));
        }
        throw new ParseException("bad subscript");
    }

    MathExpr number() {
        int start = pos;
        while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
            pos++;
        }
        int digits = 0;
        if (pos + 1 < s.length() && s.charAt(pos) == '.' && Character.isDigit(s.charAt(pos + 1))) {
            pos++;
            while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
                pos++;
                digits++;
            }
        }
        return new Num(BigRational.parseDecimal(s.substring(start, pos)), digits);
    }

    int matching(int open, char o, char c) {
        if (open >= s.length() || s.charAt(open) != o) {
            throw new ParseException("expected '" + o + "'");
        }
        int d = 0;
        for (int i = open; i < s.length(); i++) {
            if (s.charAt(i) == o) {
                d++;
            } else if (s.charAt(i) == c && --d == 0) {
                return i;
            }
        }
        throw new ParseException("unbalanced '" + o + "'");
    }

    String peekCommand() {
        if (pos >= s.length() || s.charAt(pos) != '\\') {
            return null;
        }
        int end = pos + 1;
        while (end < s.length() && Character.isLetter(s.charAt(end))) {
            end++;
        }
        return end == pos + 1 ? null : s.substring(pos + 1, end);
    }

    boolean eatCommand(String name) {
        ws();
        String cmd = peekCommand();
        if (name.equals(cmd)) {
            pos += cmd.length() + 1;
            return true;
        }
        return false;
    }

    boolean eat(String token) {
        ws();
        if (s.startsWith(token, pos)) {
            pos += token.length();
            return true;
        }
        return false;
    }

    void expect(String token) {
        if (!eat(token)) {
            throw new ParseException("expected '" + token + "' at " + pos);
        }
    }

    void ws() {
        while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
            pos++;
        }
    }
}
