package dev.revise.policies.tokenizer.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * jinja2's lexer for the environment transformers uses ({@code trim_blocks}, {@code
 * lstrip_blocks}, default delimiters), transcribed rule by rule from jinja2/lexer.py so whitespace
 * handling matches exactly: {@code -} strips all whitespace on its side, trim_blocks eats one
 * newline after a block or comment tag, lstrip_blocks removes a line's leading blanks before a block
 * or comment tag (not before {@code {{}), and {@code +} opts out of lstrip.
 */
final class Lexer {
    enum Type {
        DATA,
        VAR_BEGIN,
        VAR_END,
        BLOCK_BEGIN,
        BLOCK_END,
        NAME,
        STRING,
        INTEGER,
        FLOAT,
        OP,
        EOF,
        /** A lexing error, raised only when the parser reaches it, as jinja2's lazy lexer does. */
        ERROR
    }

    record Token(Type type, String text, Object value, int line) {
        boolean is(Type t, String s) {
            return type == t && text.equals(s);
        }

        boolean isName(String s) {
            return is(Type.NAME, s);
        }

        boolean isOp(String s) {
            return is(Type.OP, s);
        }
    }

    /** Python's \s (str.isspace) as a regex class; Java's \s is ASCII-only. */
    private static final String WS =
            "[\\t\\n\\x0B\\f\\r\\x1C-\\x1F \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029" + "\\u202F\\u205F\\u3000]";

    private static final Pattern ROOT = Pattern.compile(
            "(.*?)(?:(?<raw>\\{%(-|\\+|)" + WS + "*raw" + WS + "*(?:-%\\}" + WS
                    + "*|%\\}))|(?<var>\\{\\{(-|\\+|))|(?<comment>\\{#(-|\\+|))|(?<block>\\{%(-|\\+|)))",
            Pattern.DOTALL);
    private static final Pattern RAW_END = Pattern.compile(
            "(.*?)((?:\\{%(-|\\+|))" + WS + "*endraw" + WS + "*(?:\\+%\\}|-%\\}" + WS + "*|%\\}\\n?))", Pattern.DOTALL);
    private static final Pattern COMMENT_END =
            Pattern.compile("(.*?)((?:\\+#\\}|-#\\}" + WS + "*|#\\}\\n?))", Pattern.DOTALL);
    private static final Pattern BLOCK_END = Pattern.compile("\\+%\\}|-%\\}" + WS + "*|%\\}\\n?");
    private static final Pattern VAR_END = Pattern.compile("-\\}\\}" + WS + "*|\\}\\}");
    private static final Pattern WHITESPACE = Pattern.compile(WS + "+");
    private static final Pattern FLOAT =
            Pattern.compile("(?<!\\.)(\\d+_)*\\d+((\\.(\\d+_)*\\d+)?[eE][+\\-]?(\\d+_)*\\d+|\\.(\\d+_)*\\d+)");
    private static final Pattern INTEGER =
            Pattern.compile("0[bB](_?[01])+|0[oO](_?[0-7])+|0[xX](_?[0-9a-fA-F])+|[1-9](_?\\d)*|0(_?0)*");
    private static final Pattern NAME = Pattern.compile("[\\p{L}\\p{Nl}\\p{Nd}\\p{Mn}\\p{Mc}\\p{Pc}·]+");
    private static final Pattern STRING =
            Pattern.compile("'([^'\\\\]*(?:\\\\.[^'\\\\]*)*)'|\"([^\"\\\\]*(?:\\\\.[^\"\\\\]*)*)\"", Pattern.DOTALL);
    private static final Pattern OPERATOR = Pattern.compile("//|\\*\\*|==|!=|>=|<=|[+\\-/*%~\\[\\](){}><=.:|,;]");

    private final String src;
    private final List<Token> out = new ArrayList<>();
    private final int[] lineStarts;
    private int pos;
    private boolean lineStarting = true;

    private Lexer(String source) {
        this.src = normalize(source);
        List<Integer> starts = new ArrayList<>();
        starts.add(0);
        for (int i = 0; i < src.length(); i++) {
            if (src.charAt(i) == '\n') {
                starts.add(i + 1);
            }
        }
        lineStarts = starts.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Newlines become \n and one trailing newline is dropped (keep_trailing_newline=False). */
    private static String normalize(String s) {
        String n = s.replace("\r\n", "\n").replace('\r', '\n');
        return n.endsWith("\n") ? n.substring(0, n.length() - 1) : n;
    }

    static List<Token> tokenize(String source) {
        Lexer lx = new Lexer(source);
        try {
            lx.run();
        } catch (JinjaException e) {
            lx.out.add(new Token(Type.ERROR, "", e, e.line()));
            return lx.out;
        }
        // jinja2's end-of-template token carries the line of the last real token.
        int eofLine = lx.out.isEmpty() ? 1 : lx.out.get(lx.out.size() - 1).line();
        lx.out.add(new Token(Type.EOF, "", null, eofLine));
        return lx.out;
    }

    private int lineAt(int offset) {
        int lo = 0;
        int hi = lineStarts.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (lineStarts[mid] <= offset) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo + 1;
    }

    private JinjaException error(String msg, int offset) {
        return new JinjaException(JinjaException.Kind.TemplateSyntaxError, msg, lineAt(offset));
    }

    private void run() {
        Matcher root = ROOT.matcher(src);
        while (pos < src.length()) {
            root.region(pos, src.length());
            if (!root.lookingAt()) {
                emit(Type.DATA, src.substring(pos), pos);
                return;
            }
            String sign;
            String kind;
            if (root.group("raw") != null) {
                kind = "raw";
                sign = root.group(3);
            } else if (root.group("var") != null) {
                kind = "var";
                sign = root.group(5);
            } else if (root.group("comment") != null) {
                kind = "comment";
                sign = root.group(7);
            } else {
                kind = "block";
                sign = root.group(9);
            }
            emit(Type.DATA, stripBefore(root.group(1), sign, !kind.equals("var")), pos);
            int tagStart = root.start(kind);
            lineStarting = src.charAt(root.end() - 1) == '\n';
            pos = root.end();
            switch (kind) {
                case "raw" -> raw(tagStart);
                case "comment" -> comment(tagStart);
                case "var" -> {
                    out.add(new Token(Type.VAR_BEGIN, "{{", null, lineAt(tagStart)));
                    tag(VAR_END, Type.VAR_END, tagStart);
                }
                default -> {
                    out.add(new Token(Type.BLOCK_BEGIN, "{%", null, lineAt(tagStart)));
                    tag(BLOCK_END, Type.BLOCK_END, tagStart);
                }
            }
        }
    }

    /** The text before a tag after the tag's {@code -} or lstrip_blocks has had its say. */
    private String stripBefore(String text, String sign, boolean lstripApplies) {
        if (sign.equals("-")) {
            return PyStr.strip(text, null, false, true);
        }
        if (!sign.equals("+") && lstripApplies) {
            int lpos = text.lastIndexOf('\n') + 1;
            if (lpos > 0 || lineStarting) {
                String tail = text.substring(lpos);
                if (!tail.isEmpty() && WHITESPACE.matcher(tail).matches()) {
                    return text.substring(0, lpos);
                }
            }
        }
        return text;
    }

    private void emit(Type type, String text, int offset) {
        if (!text.isEmpty()) {
            out.add(new Token(type, text, text, lineAt(offset)));
        }
    }

    private void raw(int tagStart) {
        Matcher m = RAW_END.matcher(src).region(pos, src.length());
        if (pos >= src.length()) {
            // jinja2's failure rule needs a character to match, so an open tag at the very end passes.
            return;
        }
        if (!m.lookingAt()) {
            throw error("Missing end of raw directive", tagStart);
        }
        emit(Type.DATA, stripBefore(m.group(1), m.group(3), true), pos);
        lineStarting = src.charAt(m.end() - 1) == '\n';
        pos = m.end();
    }

    private void comment(int tagStart) {
        Matcher m = COMMENT_END.matcher(src).region(pos, src.length());
        if (pos >= src.length()) {
            return;
        }
        if (!m.lookingAt()) {
            throw error("Missing end of comment tag", tagStart);
        }
        lineStarting = src.charAt(m.end() - 1) == '\n';
        pos = m.end();
    }

    private void tag(Pattern end, Type endType, int tagStart) {
        Matcher endM = end.matcher(src);
        Matcher ws = WHITESPACE.matcher(src);
        Matcher fl = FLOAT.matcher(src);
        Matcher in = INTEGER.matcher(src);
        Matcher nm = NAME.matcher(src);
        Matcher st = STRING.matcher(src);
        Matcher op = OPERATOR.matcher(src);
        List<Character> balance = new ArrayList<>();
        while (pos < src.length()) {
            if (balance.isEmpty() && at(endM)) {
                out.add(new Token(endType, endM.group(), null, lineAt(pos)));
                lineStarting = endM.group().endsWith("\n");
                pos = endM.end();
                return;
            }
            int line = lineAt(pos);
            if (at(ws)) {
                pos = ws.end();
            } else if (at(fl)) {
                out.add(new Token(
                        Type.FLOAT, fl.group(), Double.parseDouble(fl.group().replace("_", "")), line));
                pos = fl.end();
            } else if (at(in)) {
                out.add(new Token(Type.INTEGER, in.group(), parseInt(in.group(), pos), line));
                pos = in.end();
            } else if (at(nm)) {
                String name = nm.group();
                if (Character.isDigit(name.codePointAt(0))) {
                    throw error("Invalid character in identifier", pos);
                }
                out.add(new Token(Type.NAME, name, name, line));
                pos = nm.end();
            } else if (at(st)) {
                String body = st.group().substring(1, st.group().length() - 1);
                out.add(new Token(Type.STRING, st.group(), unescape(body, pos), line));
                pos = st.end();
            } else if (at(op)) {
                String o = op.group();
                if (o.equals("(") || o.equals("[") || o.equals("{")) {
                    balance.add(o.equals("(") ? ')' : o.equals("[") ? ']' : '}');
                } else if (o.equals(")") || o.equals("]") || o.equals("}")) {
                    if (balance.isEmpty()) {
                        throw error("unexpected '" + o + "'", pos);
                    }
                    char expected = balance.remove(balance.size() - 1);
                    if (expected != o.charAt(0)) {
                        throw error("unexpected '" + o + "', expected '" + expected + "'", pos);
                    }
                }
                out.add(new Token(Type.OP, o, null, line));
                pos = op.end();
            } else {
                throw error("unexpected char " + PyStr.repr(src.substring(pos, pos + 1)) + " at " + pos, pos);
            }
        }
    }

    private boolean at(Matcher m) {
        // Transparent bounds let the float rule's (?<!\.) look behind the region start.
        m.region(pos, src.length()).useTransparentBounds(true);
        return m.lookingAt();
    }

    private Long parseInt(String text, int offset) {
        String t = text.replace("_", "").toLowerCase();
        try {
            if (t.startsWith("0x")) {
                return Long.parseLong(t.substring(2), 16);
            }
            if (t.startsWith("0o")) {
                return Long.parseLong(t.substring(2), 8);
            }
            if (t.startsWith("0b")) {
                return Long.parseLong(t.substring(2), 2);
            }
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new JinjaException(
                    JinjaException.Kind.Unsupported,
                    "integer literal " + text + " does not fit in 64 bits (not supported by this Jinja engine)",
                    lineAt(offset));
        }
    }

    /** Python's unicode-escape decoding of a string literal's body. */
    private String unescape(String s, int offset) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 >= s.length()) {
                sb.append(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case '\n' -> {}
                case '\\' -> sb.append('\\');
                case '\'' -> sb.append('\'');
                case '"' -> sb.append('"');
                case 'a' -> sb.append('\u0007');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'v' -> sb.append('\u000b');
                case 'x', 'u', 'U' -> {
                    int len = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    String hex = s.substring(i + 1, Math.min(s.length(), i + 1 + len));
                    if (hex.length() != len || !hex.chars().allMatch(h -> Character.digit(h, 16) >= 0)) {
                        throw error("truncated \\" + e + " escape", offset);
                    }
                    int cp = Integer.parseInt(hex, 16);
                    if (cp > 0x10ffff) {
                        throw error("illegal Unicode character", offset);
                    }
                    sb.appendCodePoint(cp);
                    i += len;
                }
                case 'N' ->
                    throw new JinjaException(
                            JinjaException.Kind.Unsupported,
                            "\\N{...} escapes in string literals are not supported by this Jinja engine",
                            lineAt(offset));
                default -> {
                    if (e >= '0' && e <= '7') {
                        int j = i;
                        int v = 0;
                        while (j < s.length() && j < i + 3 && s.charAt(j) >= '0' && s.charAt(j) <= '7') {
                            v = v * 8 + (s.charAt(j) - '0');
                            j++;
                        }
                        sb.appendCodePoint(v);
                        i = j - 1;
                    } else {
                        sb.append('\\').append(e);
                    }
                }
            }
        }
        return sb.toString();
    }
}
