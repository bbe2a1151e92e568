package dev.revise.policies.tokenizer.jinja;

import java.util.ArrayList;
import java.util.List;

/**
 * Python str algorithms on Java strings. Python indexes by code point and Java by UTF-16 unit, so
 * everything that counts or slices goes through code points; Python's whitespace is wider than
 * Java's (it includes {@code \x1c-\x1f}, {@code \x85}, NBSP...).
 */
final class PyStr {
    private PyStr() {}

    /** Python's str.isspace() for one code point. */
    static boolean isSpace(int c) {
        return (c >= 0x09 && c <= 0x0d)
                || (c >= 0x1c && c <= 0x20)
                || c == 0x85
                || c == 0xa0
                || c == 0x1680
                || (c >= 0x2000 && c <= 0x200a)
                || c == 0x2028
                || c == 0x2029
                || c == 0x202f
                || c == 0x205f
                || c == 0x3000;
    }

    static boolean isPrintable(int c) {
        if (c == ' ') {
            return true;
        }
        return switch (Character.getType(c)) {
            case Character.CONTROL,
                    Character.FORMAT,
                    Character.SURROGATE,
                    Character.PRIVATE_USE,
                    Character.UNASSIGNED,
                    Character.LINE_SEPARATOR,
                    Character.PARAGRAPH_SEPARATOR,
                    Character.SPACE_SEPARATOR -> false;
            default -> true;
        };
    }

    static String repr(String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder sb = new StringBuilder(s.length() + 2).append(quote);
        s.codePoints().forEach(c -> {
            if (c == quote || c == '\\') {
                sb.append('\\').appendCodePoint(c);
            } else if (c == '\t') {
                sb.append("\\t");
            } else if (c == '\n') {
                sb.append("\\n");
            } else if (c == '\r') {
                sb.append("\\r");
            } else if (c < ' ' || c == 0x7f) {
                sb.append(String.format("\\x%02x", c));
            } else if (c < 0x7f || isPrintable(c)) {
                sb.appendCodePoint(c);
            } else if (c <= 0xff) {
                sb.append(String.format("\\x%02x", c));
            } else if (c <= 0xffff) {
                sb.append(String.format("\\u%04x", c));
            } else {
                sb.append(String.format("\\U%08x", c));
            }
        });
        return sb.append(quote).toString();
    }

    /** Code point order, as Python compares strings (Java's compareTo is by UTF-16 unit). */
    static int compare(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int x = a.codePointAt(i);
            int y = b.codePointAt(j);
            if (x != y) {
                return Integer.compare(x, y);
            }
            i += Character.charCount(x);
            j += Character.charCount(y);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    static List<Object> chars(String s) {
        List<Object> out = new ArrayList<>(s.length());
        s.codePoints().forEach(c -> out.add(new String(Character.toChars(c))));
        return out;
    }

    static int[] codePoints(String s) {
        return s.codePoints().toArray();
    }

    static String fromCodePoints(int[] cps, int from, int to) {
        return new String(cps, from, Math.max(0, to - from));
    }

    /** UTF-16 offset to code point index, for find()/index() results. */
    static long cpIndex(String s, int utf16) {
        return s.codePointCount(0, utf16);
    }

    static int utf16Offset(String s, long cpIndex) {
        return s.offsetByCodePoints(0, (int) cpIndex);
    }

    private static boolean inSet(int c, String chars) {
        return chars == null
                ? isSpace(c)
                : chars.indexOf(c) >= 0 || (c > 0xffff && chars.contains(Character.toString(c)));
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        while (left && start < end) {
            int c = s.codePointAt(start);
            if (!inSet(c, chars)) {
                break;
            }
            start += Character.charCount(c);
        }
        while (right && end > start) {
            int c = s.codePointBefore(end);
            if (!inSet(c, chars)) {
                break;
            }
            end -= Character.charCount(c);
        }
        return s.substring(start, end);
    }

    /** str.split(sep, maxsplit); a null sep splits on whitespace runs. */
    static List<Object> split(String s, String sep, long maxsplit) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && isSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= n) {
                    return out;
                }
                if (maxsplit >= 0 && out.size() >= maxsplit) {
                    out.add(s.substring(i));
                    return out;
                }
                int j = i;
                while (j < n && !isSpace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
        }
        if (sep.isEmpty()) {
            throw JinjaException.value("empty separator");
        }
        int i = 0;
        while (maxsplit < 0 || out.size() < maxsplit) {
            int j = s.indexOf(sep, i);
            if (j < 0) {
                break;
            }
            out.add(s.substring(i, j));
            i = j + sep.length();
        }
        out.add(s.substring(i));
        return out;
    }

    static List<Object> rsplit(String s, String sep, long maxsplit) {
        if (maxsplit < 0) {
            return split(s, sep, -1);
        }
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int j = s.length();
            while (true) {
                while (j > 0 && isSpace(s.charAt(j - 1))) {
                    j--;
                }
                if (j <= 0) {
                    break;
                }
                if (out.size() >= maxsplit) {
                    out.add(s.substring(0, j));
                    break;
                }
                int i = j;
                while (i > 0 && !isSpace(s.charAt(i - 1))) {
                    i--;
                }
                out.add(s.substring(i, j));
                j = i;
            }
            java.util.Collections.reverse(out);
            return out;
        }
        if (sep.isEmpty()) {
            throw JinjaException.value("empty separator");
        }
        int j = s.length();
        while (out.size() < maxsplit) {
            int i = s.lastIndexOf(sep, j - sep.length());
            if (i < 0) {
                break;
            }
            out.add(s.substring(i + sep.length(), j));
            j = i;
        }
        out.add(s.substring(0, j));
        java.util.Collections.reverse(out);
        return out;
    }

    private static boolean isLineBreak(char c) {
        return c == '\n'
                || c == '\r'
                || c == 0x0b
                || c == 0x0c
                || c == 0x1c
                || c == 0x1d
                || c == 0x1e
                || c == 0x85
                || c == 0x2028
                || c == 0x2029;
    }

    static List<Object> splitlines(String s, boolean keepends) {
        List<Object> out = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            int j = i;
            while (j < n && !isLineBreak(s.charAt(j))) {
                j++;
            }
            int eol = j;
            if (j < n) {
                j += (s.charAt(j) == '\r' && j + 1 < n && s.charAt(j + 1) == '\n') ? 2 : 1;
            }
            out.add(s.substring(i, keepends ? j : eol));
            i = j;
        }
        return out;
    }

    /** str.replace(old, new, count); an empty {@code old} inserts between every code point. */
    static String replace(String s, String old, String repl, long count) {
        if (count < 0) {
            count = Long.MAX_VALUE;
        }
        StringBuilder sb = new StringBuilder();
        if (old.isEmpty()) {
            int[] cps = codePoints(s);
            long done = 0;
            for (int k = 0; k <= cps.length; k++) {
                if (done < count) {
                    sb.append(repl);
                    done++;
                }
                if (k < cps.length) {
                    sb.appendCodePoint(cps[k]);
                }
            }
            return sb.toString();
        }
        int i = 0;
        long done = 0;
        while (done < count) {
            int j = s.indexOf(old, i);
            if (j < 0) {
                break;
            }
            sb.append(s, i, j).append(repl);
            i = j + old.length();
            done++;
        }
        return sb.append(s.substring(i)).toString();
    }

    static String upper(String s) {
        return s.toUpperCase(java.util.Locale.ROOT);
    }

    static String lower(String s) {
        return s.toLowerCase(java.util.Locale.ROOT);
    }

    private static boolean isCased(int c) {
        return Character.isUpperCase(c) || Character.isLowerCase(c) || Character.isTitleCase(c);
    }

    /** Python's str.capitalize(): the first code point title-cased, the rest lower-cased. */
    static String capitalize(String s) {
        if (s.isEmpty()) {
            return s;
        }
        int first = s.codePointAt(0);
        return new String(Character.toChars(Character.toTitleCase(first)))
                + lower(s.substring(Character.charCount(first)));
    }

    /** Python's str.title(): upper-case after any uncased character, lower-case elsewhere. */
    static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean prevCased = false;
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            if (prevCased) {
                sb.append(lower(Character.toString(c)));
            } else {
                sb.appendCodePoint(Character.toTitleCase(c));
            }
            prevCased = isCased(c);
        }
        return sb.toString();
    }

    static boolean isLower(String s) {
        boolean cased = false;
        for (int c : codePoints(s)) {
            if (Character.isUpperCase(c) || Character.isTitleCase(c)) {
                return false;
            }
            cased |= Character.isLowerCase(c);
        }
        return cased;
    }

    static boolean isUpper(String s) {
        boolean cased = false;
        for (int c : codePoints(s)) {
            if (Character.isLowerCase(c) || Character.isTitleCase(c)) {
                return false;
            }
            cased |= Character.isUpperCase(c);
        }
        return cased;
    }

    /** A code point of Python's regex {@code \w}: alphanumeric (str.isalnum) or underscore. */
    static boolean isWordChar(int c) {
        return c == '_' || Character.isLetter(c) || isNumeric(c);
    }

    static boolean isNumeric(int c) {
        int t = Character.getType(c);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    /** Larger strings and sequences than this are refused (an OverflowError), rather than filling the heap. */
    static final long MAX_SIZE = 50_000_000L;

    /** {@code s} repeated {@code n} times ({@code n <= 0}: empty), refused beyond {@link #MAX_SIZE} characters. */
    static String repeat(String s, long n) {
        if (n <= 0) {
            return "";
        }
        if (n > MAX_SIZE || n * s.length() > MAX_SIZE) {
            throw new JinjaException(
                    JinjaException.Kind.OverflowError,
                    "a string of " + n + " repetitions is too large for this engine");
        }
        return s.repeat((int) n);
    }

    /** Python's str.center(width, fill), including its odd-padding rule. */
    static String center(String s, long width, String fill) {
        long len = PyOps.len(s);
        if (width <= len) {
            return s;
        }
        long marg = width - len;
        long left = marg / 2 + (marg & width & 1);
        return repeat(fill, left) + s + repeat(fill, marg - left);
    }
}
