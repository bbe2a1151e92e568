package dev.revise.policies.tokenizer.jinja;

import dev.revise.policies.tokenizer.jinja.Py.Undefined;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** jinja2's builtin tests (tests.py): {@code x is defined}, {@code x is divisibleby 3}... */
final class TestFns {
    private TestFns() {}

    static final Set<String> NAMES = Set.of(
            "odd",
            "even",
            "divisibleby",
            "defined",
            "undefined",
            "filter",
            "test",
            "none",
            "boolean",
            "false",
            "true",
            "integer",
            "float",
            "lower",
            "upper",
            "string",
            "mapping",
            "number",
            "sequence",
            "iterable",
            "callable",
            "sameas",
            "escaped",
            "in",
            "==",
            "eq",
            "equalto",
            "!=",
            "ne",
            ">",
            "gt",
            "greaterthan",
            ">=",
            "ge",
            "<",
            "lt",
            "lessthan",
            "<=",
            "le");

    static boolean apply(Evaluator ev, String name, Object v, List<Object> args, Map<String, Object> kw) {
        switch (name) {
            case "defined":
                return !(v instanceof Undefined);
            case "undefined":
                return v instanceof Undefined;
            case "none":
                return v == null;
            case "boolean":
                return v instanceof Boolean;
            case "true":
                return Boolean.TRUE.equals(v);
            case "false":
                return Boolean.FALSE.equals(v);
            case "integer":
                return v instanceof Long;
            case "float":
                return v instanceof Double;
            case "number":
                return Py.isNumber(v);
            case "string":
                return Py.isStr(v);
            case "mapping":
                return v instanceof Map;
            case "iterable":
                return PyOps.isIterable(v) || v instanceof Py.LoopContext;
            case "sequence":
                // len() and __getitem__: Undefined has both (the latter raising, but it exists).
                return Py.isStr(v)
                        || v instanceof List
                        || v instanceof Map
                        || v instanceof Py.Tuple
                        || v instanceof Py.Range
                        || v instanceof Undefined;
            case "callable":
                return v instanceof Py.Callable || v instanceof Undefined || v instanceof Py.LoopContext;
            case "escaped":
                return v instanceof Py.Markup;
            case "lower":
                return PyStr.isLower(PyOps.str(v));
            case "upper":
                return PyStr.isUpper(PyOps.str(v));
            case "filter":
                return Py.isStr(v) && Filters.NAMES.contains(Py.strText(v));
            case "test":
                return Py.isStr(v) && NAMES.contains(Py.strText(v));
            case "odd":
            case "even": {
                Args.positional("test_" + name, args, kw);
                Object mod = PyArith.binary("mod", v, 2L);
                return PyOps.eq(mod, name.equals("odd") ? 1L : 0L);
            }
            case "divisibleby": {
                Object[] a = Args.bind("test_divisibleby", args, kw, "num");
                return PyOps.eq(PyArith.binary("mod", v, a[0]), 0L);
            }
            case "sameas": {
                Object other = Args.bind("test_sameas", args, kw, "other")[0];
                return sameAs(v, other);
            }
            case "in":
                return PyOps.contains(Args.bind("test_in", args, kw, "seq")[0], v);
            default:
                return comparison(name, v, args, kw);
        }
    }

    private static boolean comparison(String name, Object v, List<Object> args, Map<String, Object> kw) {
        String op =
                switch (name) {
                    case "==", "eq", "equalto" -> "eq";
                    case "!=", "ne" -> "ne";
                    case ">", "gt", "greaterthan" -> "gt";
                    case ">=", "ge" -> "gteq";
                    case "<", "lt", "lessthan" -> "lt";
                    default -> "lteq";
                };
        if (!kw.isEmpty() || args.size() != 1) {
            throw JinjaException.type("expected 2 arguments, got " + (args.size() + 1 + kw.size()));
        }
        return PyOps.compare(op, v, args.get(0));
    }

    /** Python's {@code is}: the singletons and small ints are shared; other values by identity. */
    private static boolean sameAs(Object a, Object b) {
        if (a == null || b == null || a instanceof Boolean || b instanceof Boolean) {
            return a == null ? b == null : a.equals(b);
        }
        if (a instanceof Long x && b instanceof Long y) {
            return x.equals(y) && x >= -5 && x <= 256;
        }
        return a == b;
    }
}
