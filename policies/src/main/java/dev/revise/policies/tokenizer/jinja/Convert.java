package dev.revise.policies.tokenizer.jinja;

import dev.revise.policies.tokenizer.jinja.Py.Undefined;
import java.util.regex.Pattern;

/** The {@code |int} and {@code |float} filters, with Python's int()/float() string syntax. */
final class Convert {
    private Convert() {}

    private static final Pattern FLOAT = Pattern.compile(
            "[+-]?(?:(?:\\d(?:_?\\d)*)(?:\\.(?:\\d(?:_?\\d)*)?)?|\\.\\d(?:_?\\d)*)(?:[eE][+-]?\\d(?:_?\\d)*)?");
    private static final Pattern SPECIAL = Pattern.compile("[+-]?(?:inf|infinity|nan)", Pattern.CASE_INSENSITIVE);

    /** jinja2's do_int: int(value, base), else int(float(value)), else the default. */
    static Object toInt(Object v, Object dflt, long base) {
        if (v instanceof Undefined u) {
            throw u.fail();
        }
        if (Py.isStr(v)) {
            Long parsed = parseInt(Py.strText(v), base);
            if (parsed != null) {
                return parsed;
            }
        } else if (Py.isInt(v)) {
            return Py.asLong(v);
        }
        Double d = v instanceof Double x ? x : Py.isStr(v) ? parseFloat(Py.strText(v)) : null;
        if (d == null || !Double.isFinite(d)) {
            return dflt;
        }
        if (Math.abs(d) >= 9.223372036854775807E18) {
            throw JinjaException.unsupported("an int beyond 64 bits");
        }
        return (long) (double) d;
    }

    static Object toFloat(Object v, Object dflt) {
        if (v instanceof Undefined u) {
            throw u.fail();
        }
        if (v instanceof Double) {
            return v;
        }
        if (Py.isInt(v)) {
            return (double) Py.asLong(v);
        }
        if (Py.isStr(v)) {
            Double d = parseFloat(Py.strText(v));
            return d == null ? dflt : d;
        }
        return dflt;
    }

    /** Python's float(str), or null where it raises ValueError. */
    static Double parseFloat(String s) {
        String t = PyStr.strip(s, null, true, true);
        if (SPECIAL.matcher(t).matches()) {
            boolean neg = t.startsWith("-");
            return t.toLowerCase().contains("nan")
                    ? Double.NaN
                    : neg ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        if (!FLOAT.matcher(t).matches()) {
            return null;
        }
        return Double.parseDouble(t.replace("_", ""));
    }

    /** Python's int(str, base), or null where it raises ValueError. */
    static Long parseInt(String s, long base) {
        String t = PyStr.strip(s, null, true, true);
        boolean neg = false;
        if (!t.isEmpty() && (t.charAt(0) == '+' || t.charAt(0) == '-')) {
            neg = t.charAt(0) == '-';
            t = t.substring(1);
        }
        String lower = t.toLowerCase();
        long b = base;
        String prefix = lower.length() > 1 && lower.charAt(0) == '0' ? lower.substring(0, 2) : "";
        if ((prefix.equals("0x") && (b == 16 || b == 0))
                || (prefix.equals("0o") && (b == 8 || b == 0))
                || (prefix.equals("0b") && (b == 2 || b == 0))) {
            b = prefix.equals("0x") ? 16 : prefix.equals("0o") ? 8 : 2;
            t = t.substring(2);
            if (t.startsWith("_")) {
                t = t.substring(1);
            }
        } else if (b == 0) {
            if (lower.length() > 1
                    && lower.startsWith("0")
                    && !lower.replace("_", "").chars().allMatch(c -> c == '0')) {
                return null;
            }
            b = 10;
        }
        if (b < 2 || b > 36) {
            throw JinjaException.value("int() base must be >= 2 and <= 36, or 0");
        }
        if (t.isEmpty() || t.startsWith("_") || t.endsWith("_") || t.contains("__")) {
            return null;
        }
        String digits = t.replace("_", "");
        for (int i = 0; i < digits.length(); i++) {
            if (Character.digit(digits.charAt(i), (int) b) < 0) {
                return null;
            }
        }
        try {
            long v = Long.parseLong(digits, (int) b);
            return neg ? -v : v;
        } catch (NumberFormatException e) {
            throw JinjaException.unsupported("an int beyond 64 bits");
        }
    }
}
