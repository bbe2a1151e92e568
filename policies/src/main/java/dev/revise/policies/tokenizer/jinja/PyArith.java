package dev.revise.policies.tokenizer.jinja;

import dev.revise.policies.tokenizer.jinja.Py.Markup;
import dev.revise.policies.tokenizer.jinja.Py.Tuple;
import dev.revise.policies.tokenizer.jinja.Py.Undefined;
import java.util.ArrayList;
import java.util.List;

/**
 * Python's arithmetic operators: bool is an int, int/int true division gives a float, {@code //}
 * and {@code %} floor toward negative infinity, and str/list/tuple support {@code +} and {@code *}.
 * Python ints are unbounded; here an int result that overflows 64 bits is an error, never wrapped.
 */
final class PyArith {
    private PyArith() {}

    static Object binary(String op, Object a, Object b) {
        if (op.equals("mod") && Py.isStr(a)) {
            // str.__mod__ accepts any right operand, Undefined included (it formats as "").
            return percent(a, b);
        }
        if (a instanceof Undefined u) {
            throw u.fail();
        }
        if (b instanceof Undefined u) {
            throw u.fail();
        }
        return switch (op) {
            case "add" -> add(a, b);
            case "sub" -> {
                if (a instanceof Py.DictView || b instanceof Py.DictView) {
                    throw JinjaException.unsupported("set difference of dict views (Python prints sets in hash order)");
                }
                yield numeric(op, "-", a, b);
            }
            case "mul" -> mul(a, b);
            case "div", "floordiv", "mod" -> numeric(op, sym(op), a, b);
            default -> pow(a, b);
        };
    }

    private static String sym(String op) {
        return switch (op) {
            case "div" -> "/";
            case "floordiv" -> "//";
            default -> "%";
        };
    }

    private static Object percent(Object fmt, Object args) {
        String s = PyFormat.percent(Py.strText(fmt), args);
        return fmt instanceof Markup ? new Markup(s) : s;
    }

    private static JinjaException unsupported(String sym, Object a, Object b) {
        return JinjaException.type("unsupported operand type(s) for " + sym + ": '" + PyOps.typeName(a) + "' and '"
                + PyOps.typeName(b) + "'");
    }

    static Object add(Object a, Object b) {
        if (Py.isNumber(a) && Py.isNumber(b)) {
            return numeric("add", "+", a, b);
        }
        if (a instanceof Markup || b instanceof Markup) {
            if (Py.isStr(a) && Py.isStr(b)) {
                return new Markup(escapeUnlessMarkup(a) + escapeUnlessMarkup(b));
            }
        }
        if (a instanceof String x) {
            if (b instanceof String y) {
                return x + y;
            }
            throw JinjaException.type("can only concatenate str (not \"" + PyOps.typeName(b) + "\") to str");
        }
        if (a instanceof List<?> x) {
            if (b instanceof List<?> y) {
                List<Object> out = new ArrayList<>(x);
                out.addAll(y);
                return out;
            }
            throw JinjaException.type("can only concatenate list (not \"" + PyOps.typeName(b) + "\") to list");
        }
        if (a instanceof Tuple x) {
            if (b instanceof Tuple y) {
                List<Object> out = new ArrayList<>(x.items());
                out.addAll(y.items());
                return new Tuple(out);
            }
            throw JinjaException.type("can only concatenate tuple (not \"" + PyOps.typeName(b) + "\") to tuple");
        }
        throw unsupported("+", a, b);
    }

    static String escapeUnlessMarkup(Object v) {
        return v instanceof Markup m ? m.text() : escape(PyOps.str(v));
    }

    /** markupsafe.escape's replacements. */
    static String escape(String s) {
        return s.replace("&", "&amp;")
                .replace(">", "&gt;")
                .replace("<", "&lt;")
                .replace("'", "&#39;")
                .replace("\"", "&#34;");
    }

    private static Object mul(Object a, Object b) {
        if (Py.isNumber(a) && Py.isNumber(b)) {
            return numeric("mul", "*", a, b);
        }
        Object seq = Py.isInt(b) ? a : Py.isInt(a) ? b : null;
        Object count = seq == a ? b : a;
        if (seq != null) {
            long n = Math.max(0, Py.asLong(count));
            if (seq instanceof String s) {
                return s.repeat((int) checkSize(n * s.length(), n));
            }
            if (seq instanceof Markup m) {
                return new Markup(m.text().repeat((int) checkSize(n * m.text().length(), n)));
            }
            if (seq instanceof List<?> || seq instanceof Tuple) {
                List<?> items = seq instanceof Tuple t ? t.items() : (List<?>) seq;
                checkSize(n * items.size(), n);
                List<Object> out = new ArrayList<>();
                for (long i = 0; i < n; i++) {
                    out.addAll(items);
                }
                return seq instanceof Tuple ? new Tuple(out) : out;
            }
        }
        if (Py.isStr(a) || a instanceof List || a instanceof Tuple) {
            throw JinjaException.type("can't multiply sequence by non-int of type '" + PyOps.typeName(b) + "'");
        }
        throw unsupported("*", a, b);
    }

    private static long checkSize(long size, long n) {
        if (size > 50_000_000L || n > 50_000_000L) {
            throw new JinjaException(JinjaException.Kind.OverflowError, "repeated sequence too large");
        }
        return n;
    }

    private static Object numeric(String op, String sym, Object a, Object b) {
        if (!Py.isNumber(a) || !Py.isNumber(b)) {
            throw unsupported(sym, a, b);
        }
        if (Py.isInt(a) && Py.isInt(b)) {
            long x = Py.asLong(a);
            long y = Py.asLong(b);
            try {
                return switch (op) {
                    case "add" -> Math.addExact(x, y);
                    case "sub" -> Math.subtractExact(x, y);
                    case "mul" -> Math.multiplyExact(x, y);
                    case "div" -> {
                        if (y == 0) {
                            throw new JinjaException(JinjaException.Kind.ZeroDivisionError, "division by zero");
                        }
                        yield (double) x / (double) y;
                    }
                    case "floordiv" -> {
                        if (y == 0) {
                            throw new JinjaException(
                                    JinjaException.Kind.ZeroDivisionError, "integer division or modulo by zero");
                        }
                        if (x == Long.MIN_VALUE && y == -1) {
                            throw new ArithmeticException();
                        }
                        yield Math.floorDiv(x, y);
                    }
                    default -> {
                        if (y == 0) {
                            throw new JinjaException(JinjaException.Kind.ZeroDivisionError, "integer modulo by zero");
                        }
                        yield Math.floorMod(x, y);
                    }
                };
            } catch (ArithmeticException e) {
                throw intOverflow();
            }
        }
        double x = Py.asDouble(a);
        double y = Py.asDouble(b);
        return switch (op) {
            case "add" -> x + y;
            case "sub" -> x - y;
            case "mul" -> x * y;
            case "div" -> {
                if (y == 0) {
                    throw new JinjaException(JinjaException.Kind.ZeroDivisionError, "float division by zero");
                }
                yield x / y;
            }
            case "floordiv" -> {
                if (y == 0) {
                    throw new JinjaException(JinjaException.Kind.ZeroDivisionError, "float floor division by zero");
                }
                yield floatDivmod(x, y)[0];
            }
            default -> {
                if (y == 0) {
                    throw new JinjaException(JinjaException.Kind.ZeroDivisionError, "float modulo");
                }
                yield floatDivmod(x, y)[1];
            }
        };
    }

    /** CPython's float_divmod. */
    private static double[] floatDivmod(double vx, double wx) {
        double mod = vx % wx;
        double div = (vx - mod) / wx;
        if (mod != 0) {
            if ((wx < 0) != (mod < 0)) {
                mod += wx;
                div -= 1.0;
            }
        } else {
            mod = Math.copySign(0.0, wx);
        }
        double floordiv;
        if (div != 0) {
            floordiv = Math.floor(div);
            if (div - floordiv > 0.5) {
                floordiv += 1.0;
            }
        } else {
            floordiv = Math.copySign(0.0, vx / wx);
        }
        return new double[] {floordiv, mod};
    }

    private static JinjaException intOverflow() {
        return JinjaException.unsupported("an int result beyond 64 bits (Python ints are unbounded)");
    }

    private static Object pow(Object a, Object b) {
        if (!Py.isNumber(a) || !Py.isNumber(b)) {
            throw JinjaException.type("unsupported operand type(s) for ** or pow(): '" + PyOps.typeName(a) + "' and '"
                    + PyOps.typeName(b) + "'");
        }
        if (Py.isInt(a) && Py.isInt(b) && Py.asLong(b) >= 0) {
            long base = Py.asLong(a);
            long exp = Py.asLong(b);
            long result = 1;
            try {
                for (long i = 0; i < exp; i++) {
                    result = Math.multiplyExact(result, base);
                    if (result == 0 || result == 1 && base == 1) {
                        break;
                    }
                    if (base == -1) {
                        return exp % 2 == 0 ? 1L : -1L;
                    }
                }
            } catch (ArithmeticException e) {
                throw intOverflow();
            }
            return result;
        }
        double x = Py.asDouble(a);
        double y = Py.asDouble(b);
        if (x == 0 && y < 0) {
            throw new JinjaException(JinjaException.Kind.ZeroDivisionError, "0.0 cannot be raised to a negative power");
        }
        if (x < 0 && y != Math.rint(y)) {
            throw JinjaException.unsupported("a negative number raised to a fractional power (a complex result)");
        }
        return Math.pow(x, y);
    }

    static Object unary(String op, Object v) {
        if (v instanceof Undefined u) {
            throw u.fail();
        }
        if (!Py.isNumber(v)) {
            throw JinjaException.type(
                    "bad operand type for unary " + (op.equals("neg") ? "-" : "+") + ": '" + PyOps.typeName(v) + "'");
        }
        if (v instanceof Double d) {
            return op.equals("neg") ? -d : d;
        }
        long l = Py.asLong(v);
        if (op.equals("neg")) {
            if (l == Long.MIN_VALUE) {
                throw intOverflow();
            }
            return -l;
        }
        return l;
    }
}
