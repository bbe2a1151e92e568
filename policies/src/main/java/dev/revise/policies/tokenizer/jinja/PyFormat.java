package dev.revise.policies.tokenizer.jinja;

import dev.revise.policies.tokenizer.jinja.Py.Tuple;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code str.format} and {@code str % args} for the common cases: fields by position or
 * name with attribute/index lookups, and the s/d/x/o/b/f/e/% conversions with fill, alignment,
 * sign, zero padding, width and precision. Anything else (g/n conversions, nested fields, {@code *}
 * widths) is refused rather than approximated.
 */
final class PyFormat {
    private PyFormat() {}

    static String format(String fmt, List<Object> args, Map<String, Object> kwargs) {
        StringBuilder out = new StringBuilder();
        int auto = 0;
        boolean manual = false;
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c == '}') {
                if (i + 1 < fmt.length() && fmt.charAt(i + 1) == '}') {
                    out.append('}');
                    i++;
                    continue;
                }
                throw JinjaException.value("Single '}' encountered in format string");
            }
            if (c != '{') {
                out.append(c);
                continue;
            }
            if (i + 1 < fmt.length() && fmt.charAt(i + 1) == '{') {
                out.append('{');
                i++;
                continue;
            }
            int end = fmt.indexOf('}', i);
            if (end < 0) {
                throw JinjaException.value("Single '{' encountered in format string");
            }
            String field = fmt.substring(i + 1, end);
            if (field.indexOf('{') >= 0) {
                throw JinjaException.unsupported("nested format fields in str.format");
            }
            i = end;
            String spec = "";
            int colon = field.indexOf(':');
            if (colon >= 0) {
                spec = field.substring(colon + 1);
                field = field.substring(0, colon);
            }
            char conv = 0;
            int bang = field.indexOf('!');
            if (bang >= 0) {
                if (field.length() != bang + 2) {
                    throw JinjaException.value("expected ':' after conversion specifier");
                }
                conv = field.charAt(bang + 1);
                field = field.substring(0, bang);
            }
            int split = 0;
            while (split < field.length() && field.charAt(split) != '.' && field.charAt(split) != '[') {
                split++;
            }
            String head = field.substring(0, split);
            Object value;
            if (head.isEmpty() || head.chars().allMatch(Character::isDigit)) {
                int index;
                if (head.isEmpty()) {
                    if (manual) {
                        throw JinjaException.value(
                                "cannot switch from manual field specification to automatic field numbering");
                    }
                    index = auto++;
                } else {
                    if (auto > 0) {
                        throw JinjaException.value(
                                "cannot switch from automatic field numbering to manual field specification");
                    }
                    manual = true;
                    index = Integer.parseInt(head);
                }
                if (index >= args.size()) {
                    throw new JinjaException(JinjaException.Kind.IndexError, "tuple index out of range");
                }
                value = args.get(index);
            } else {
                if (!kwargs.containsKey(head)) {
                    throw new JinjaException(JinjaException.Kind.KeyError, PyOps.repr(head));
                }
                value = kwargs.get(head);
            }
            value = lookups(value, field.substring(split));
            if (conv == 'r') {
                value = PyOps.repr(value);
            } else if (conv == 's') {
                value = PyOps.str(value);
            } else if (conv != 0) {
                throw JinjaException.unsupported("the !" + conv + " conversion in str.format");
            }
            out.append(formatValue(value, spec));
        }
        return out.toString();
    }

    private static Object lookups(Object value, String rest) {
        int i = 0;
        while (i < rest.length()) {
            char c = rest.charAt(i);
            int j = i + 1;
            if (c == '.') {
                while (j < rest.length() && rest.charAt(j) != '.' && rest.charAt(j) != '[') {
                    j++;
                }
                value = Attrs.getattr(value, rest.substring(i + 1, j));
                i = j;
            } else {
                int close = rest.indexOf(']', i);
                if (close < 0) {
                    throw JinjaException.value("Missing ']' in format string");
                }
                String key = rest.substring(i + 1, close);
                value = Attrs.getitem(
                        value,
                        key.chars().allMatch(Character::isDigit) && !key.isEmpty()
                                ? (Object) Long.parseLong(key)
                                : key);
                i = close + 1;
            }
        }
        return value;
    }

    /** Python's {@code format(value, spec)}. */
    static String formatValue(Object value, String spec) {
        if (spec.isEmpty()) {
            return PyOps.str(value);
        }
        int i = 0;
        char fill = ' ';
        char align = 0;
        if (spec.length() >= 2 && "<>=^".indexOf(spec.charAt(1)) >= 0) {
            fill = spec.charAt(0);
            align = spec.charAt(1);
            i = 2;
        } else if ("<>=^".indexOf(spec.charAt(0)) >= 0) {
            align = spec.charAt(0);
            i = 1;
        }
        char sign = '-';
        if (i < spec.length() && "+- ".indexOf(spec.charAt(i)) >= 0) {
            sign = spec.charAt(i++);
        }
        boolean alt = false;
        if (i < spec.length() && spec.charAt(i) == '#') {
            alt = true;
            i++;
        }
        if (i < spec.length() && spec.charAt(i) == '0' && align == 0) {
            fill = '0';
            align = '=';
            i++;
        }
        int width = 0;
        while (i < spec.length() && Character.isDigit(spec.charAt(i))) {
            width = width * 10 + (spec.charAt(i++) - '0');
            checkFormatSize(width);
        }
        char grouping = 0;
        if (i < spec.length() && (spec.charAt(i) == ',' || spec.charAt(i) == '_')) {
            grouping = spec.charAt(i++);
        }
        int precision = -1;
        if (i < spec.length() && spec.charAt(i) == '.') {
            i++;
            precision = 0;
            while (i < spec.length() && Character.isDigit(spec.charAt(i))) {
                precision = precision * 10 + (spec.charAt(i++) - '0');
                checkFormatSize(precision);
            }
        }
        char type = i < spec.length() ? spec.charAt(i++) : 0;
        if (i != spec.length()) {
            throw JinjaException.value("Invalid format specifier");
        }
        String body;
        boolean numeric = true;
        if (Py.isStr(value) && (type == 0 || type == 's')) {
            body = Py.strText(value);
            if (precision >= 0 && precision < PyOps.len(body)) {
                body = body.substring(0, PyStr.utf16Offset(body, precision));
            }
            numeric = false;
        } else if (Py.isInt(value) && "dxXob".indexOf(type == 0 ? 'd' : type) >= 0 && precision < 0) {
            long v = Py.asLong(value);
            body = switch (type) {
                case 'x' -> (alt ? "0x" : "") + Long.toHexString(Math.abs(v));
                case 'X' -> (alt ? "0X" : "") + Long.toHexString(Math.abs(v)).toUpperCase();
                case 'o' -> (alt ? "0o" : "") + Long.toOctalString(Math.abs(v));
                case 'b' -> (alt ? "0b" : "") + Long.toBinaryString(Math.abs(v));
                default -> group(Long.toString(Math.abs(v)), grouping);
            };
            body = signPrefix(v < 0, sign) + body;
        } else if (value instanceof Double d && type == 0 && precision < 0 && grouping == 0) {
            // No type and no precision: str(float), padded.
            String r = PyFloat.repr(Math.abs(d));
            body = signPrefix(d < 0 || (d == 0 && 1 / d < 0), sign) + r;
        } else if (Py.isNumber(value) && "fFeE%".indexOf(type) >= 0) {
            double d = Py.asDouble(value);
            body = fixedOrExp(Math.abs(d), precision < 0 ? 6 : precision, type);
            if (type != 'e' && type != 'E' && grouping != 0 && Double.isFinite(d)) {
                int dot = body.indexOf('.');
                String intPart = dot < 0 ? body.replace("%", "") : body.substring(0, dot);
                body = group(intPart, grouping) + body.substring(intPart.length());
            }
            body = signPrefix(d < 0 || (d == 0 && 1 / d < 0), sign) + body;
        } else if (!Py.isNumber(value) && !Py.isStr(value)) {
            throw JinjaException.type("unsupported format string passed to " + PyOps.typeName(value) + ".__format__");
        } else if (Py.isStr(value) && type == 0) {
            throw JinjaException.value("Sign not allowed in string format specifier");
        } else if (Py.isStr(value) || (Py.isInt(value) && "bcdoxXn".indexOf(type) < 0 && "eEfFgG%".indexOf(type) < 0)) {
            throw JinjaException.value(
                    "Unknown format code '" + type + "' for object of type '" + PyOps.typeName(value) + "'");
        } else {
            throw JinjaException.unsupported("the format spec '" + spec + "' for a " + PyOps.typeName(value));
        }
        return pad(body, width, fill, align == 0 ? (numeric ? '>' : '<') : align);
    }

    private static String signPrefix(boolean negative, char sign) {
        return negative ? "-" : sign == '+' ? "+" : sign == ' ' ? " " : "";
    }

    private static String group(String digits, char sep) {
        if (sep == 0) {
            return digits;
        }
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < digits.length(); k++) {
            if (k > 0 && (digits.length() - k) % 3 == 0) {
                sb.append(sep);
            }
            sb.append(digits.charAt(k));
        }
        return sb.toString();
    }

    private static String pad(String body, int width, char fill, char align) {
        int len = (int) PyOps.len(body);
        if (len >= width) {
            return body;
        }
        String f = PyStr.repeat(String.valueOf(fill), width - len);
        return switch (align) {
            case '<' -> body + f;
            case '^' -> f.substring(0, (width - len) / 2) + body + f.substring((width - len) / 2);
            case '=' -> {
                int signLen = !body.isEmpty() && "+- ".indexOf(body.charAt(0)) >= 0 ? 1 : 0;
                yield body.substring(0, signLen) + f + body.substring(signLen);
            }
            default -> f + body;
        };
    }

    /** Decimal places beyond which a double's fixed-point expansion is all zeros (1074, rounded up). */
    private static final int EXACT_DECIMALS = 1100;

    /** A width or precision that would build a string beyond the engine's limit is refused while parsing. */
    private static void checkFormatSize(long n) {
        if (n > PyStr.MAX_SIZE) {
            throw new JinjaException(
                    JinjaException.Kind.OverflowError,
                    "a format width or precision beyond " + PyStr.MAX_SIZE + " is too large for this engine");
        }
    }

    /** A non-negative finite-or-not double as Python's f/F/e/E/% conversions print it. */
    static String fixedOrExp(double d, int precision, char type) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            String s = Double.isNaN(d) ? "nan" : "inf";
            s = Character.isUpperCase(type) ? s.toUpperCase() : s;
            return type == '%' ? s + "%" : s;
        }
        if (precision > EXACT_DECIMALS && type != 'e' && type != 'E') {
            // every decimal of a double beyond its exact expansion (at most 1074 places) is 0
            String exact = fixedOrExp(d, EXACT_DECIMALS, type);
            int end = type == '%' ? exact.length() - 1 : exact.length();
            return exact.substring(0, end) + PyStr.repeat("0", precision - EXACT_DECIMALS) + exact.substring(end);
        }
        if (type == '%') {
            return new BigDecimal(d)
                            .multiply(BigDecimal.valueOf(100))
                            .setScale(precision, RoundingMode.HALF_EVEN)
                            .toPlainString()
                    + "%";
        }
        if (type == 'f' || type == 'F') {
            return new BigDecimal(d).setScale(precision, RoundingMode.HALF_EVEN).toPlainString();
        }
        BigDecimal r = d == 0
                ? BigDecimal.ZERO.setScale(precision)
                : new BigDecimal(d).round(new MathContext(precision + 1, RoundingMode.HALF_EVEN));
        int exp = d == 0 ? 0 : r.precision() - r.scale() - 1;
        String digits =
                d == 0 ? PyStr.repeat("0", precision + 1) : r.unscaledValue().toString();
        if (digits.length() < precision + 1) {
            digits = digits + PyStr.repeat("0", precision + 1 - digits.length());
        }
        digits = digits.substring(0, precision + 1);
        String mant = precision == 0 ? digits : digits.charAt(0) + "." + digits.substring(1);
        String e = String.format("%s%s%02d", type == 'E' ? "E" : "e", exp < 0 ? "-" : "+", Math.abs(exp));
        return mant + e;
    }

    /** Python's {@code fmt % args}. */
    static String percent(String fmt, Object args) {
        List<Object> values = args instanceof Tuple t ? t.items() : java.util.Collections.singletonList(args);
        boolean single = !(args instanceof Tuple);
        Map<?, ?> mapping = args instanceof Map<?, ?> m ? m : null;
        // PyUnicode_Format treats any non-tuple, non-str argument with __getitem__ as a mapping, which
        // turns off the "not all arguments converted" check.
        boolean mappingLike =
                mapping != null || args instanceof List || args instanceof Py.Range || args instanceof Py.Undefined;
        StringBuilder out = new StringBuilder();
        int next = 0;
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%') {
                out.append(c);
                continue;
            }
            if (++i >= fmt.length()) {
                throw JinjaException.value("incomplete format");
            }
            Object value = null;
            boolean haveValue = false;
            if (fmt.charAt(i) == '(') {
                int close = fmt.indexOf(')', i);
                if (mapping == null || close < 0) {
                    throw JinjaException.type("format requires a mapping");
                }
                String key = fmt.substring(i + 1, close);
                value = Attrs.dictGet(mapping, key, Py.MISSING);
                if (value == Py.MISSING) {
                    throw new JinjaException(JinjaException.Kind.KeyError, PyOps.repr(key));
                }
                haveValue = true;
                i = close + 1;
            }
            StringBuilder flags = new StringBuilder();
            while (i < fmt.length() && "-+ #0".indexOf(fmt.charAt(i)) >= 0) {
                flags.append(fmt.charAt(i++));
            }
            StringBuilder spec = new StringBuilder();
            while (i < fmt.length() && (Character.isDigit(fmt.charAt(i)) || fmt.charAt(i) == '.')) {
                spec.append(fmt.charAt(i++));
            }
            if (i >= fmt.length()) {
                throw JinjaException.value("incomplete format");
            }
            char type = fmt.charAt(i);
            if (type == '%') {
                out.append('%');
                continue;
            }
            if (!haveValue) {
                if (mappingLike && single) {
                    value = args;
                } else {
                    if (next >= values.size()) {
                        throw JinjaException.type("not enough arguments for format string");
                    }
                    value = values.get(next++);
                }
            }
            out.append(percentOne(value, flags.toString(), spec.toString(), type));
        }
        if (!mappingLike && next < values.size()) {
            throw JinjaException.type("not all arguments converted during string formatting");
        }
        return out.toString();
    }

    private static String percentOne(Object value, String flags, String spec, char type) {
        if (value instanceof Py.Undefined u && "sr".indexOf(type) < 0) {
            throw u.fail();
        }
        String align = flags.contains("-") ? "<" : flags.contains("0") && "sr".indexOf(type) < 0 ? "0" : "";
        String sign = flags.contains("+") ? "+" : flags.contains(" ") ? " " : "";
        String alt = flags.contains("#") ? "#" : "";
        String s = align + sign + alt + spec;
        return switch (type) {
            case 's' -> formatValue(PyOps.str(value), stripNumericFlags(s));
            case 'r' -> formatValue(PyOps.repr(value), stripNumericFlags(s));
            case 'd', 'i', 'u' -> {
                if (!Py.isNumber(value)) {
                    throw JinjaException.type(
                            "%" + type + " format: a real number is required, not " + PyOps.typeName(value));
                }
                long v = value instanceof Double d ? (long) (double) d : Py.asLong(value);
                yield formatValue(v, s + "d");
            }
            case 'x', 'X', 'o', 'f', 'F', 'e', 'E' -> {
                if (!Py.isNumber(value) || ("xXo".indexOf(type) >= 0 && value instanceof Double)) {
                    throw JinjaException.type(
                            "%" + type + " format: a number is required, not " + PyOps.typeName(value));
                }
                yield formatValue(value, s + type);
            }
            default -> throw JinjaException.unsupported("the %" + type + " conversion in string formatting");
        };
    }

    private static String stripNumericFlags(String s) {
        return s.replace("+", "").replace(" ", "").replace("#", "").replaceFirst("^0+", "");
    }
}
