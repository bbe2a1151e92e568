package dev.revise.policies.tokenizer.jinja;

import dev.revise.policies.tokenizer.jinja.Py.DictView;
import dev.revise.policies.tokenizer.jinja.Py.Iter;
import dev.revise.policies.tokenizer.jinja.Py.LoopContext;
import dev.revise.policies.tokenizer.jinja.Py.Markup;
import dev.revise.policies.tokenizer.jinja.Py.Namespace;
import dev.revise.policies.tokenizer.jinja.Py.Range;
import dev.revise.policies.tokenizer.jinja.Py.Tuple;
import dev.revise.policies.tokenizer.jinja.Py.Undefined;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Python's str(), repr(), truthiness, ==, ordering, len(), iteration and {@code in}. */
final class PyOps {
    private PyOps() {}

    static String typeName(Object v) {
        if (v == null) {
            return "NoneType";
        }
        if (v instanceof Boolean) {
            return "bool";
        }
        if (v instanceof Long) {
            return "int";
        }
        if (v instanceof Double) {
            return "float";
        }
        if (v instanceof String) {
            return "str";
        }
        if (v instanceof List) {
            return "list";
        }
        if (v instanceof Map) {
            return "dict";
        }
        if (v instanceof Tuple) {
            return "tuple";
        }
        if (v instanceof Iter it) {
            return it.typeName();
        }
        if (v instanceof DictView dv) {
            return dv.typeName();
        }
        if (v instanceof Range) {
            return "range";
        }
        if (v instanceof Py.Callable c) {
            return c.typeName();
        }
        if (v instanceof Py.Cycler) {
            return "Cycler";
        }
        return v.getClass().getSimpleName();
    }

    /** jinja2's object_type_repr, used in undefined-attribute messages. */
    static String objectTypeRepr(Object v) {
        if (v == null) {
            return "None";
        }
        String module =
                switch (typeName(v)) {
                    case "Namespace", "Cycler", "Joiner" -> "jinja2.utils.";
                    case "LoopContext", "Macro", "Undefined" -> "jinja2.runtime.";
                    case "Markup" -> "markupsafe.";
                    default -> "";
                };
        return module + typeName(v) + " object";
    }

    static String str(Object v) {
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Markup m) {
            return m.text();
        }
        if (v instanceof Undefined) {
            return "";
        }
        return repr(v);
    }

    static String repr(Object v) {
        if (v == null) {
            return "None";
        }
        if (v instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (v instanceof Long l) {
            return l.toString();
        }
        if (v instanceof Double d) {
            return PyFloat.repr(d);
        }
        if (v instanceof String s) {
            return PyStr.repr(s);
        }
        if (v instanceof Markup m) {
            return "Markup(" + PyStr.repr(m.text()) + ")";
        }
        if (v instanceof Undefined) {
            return "Undefined";
        }
        if (v instanceof List<?> l) {
            return joinRepr("[", l, "]");
        }
        if (v instanceof Tuple t) {
            return t.items().size() == 1 ? "(" + repr(t.items().get(0)) + ",)" : joinRepr("(", t.items(), ")");
        }
        if (v instanceof Map<?, ?> m) {
            return dictRepr(m);
        }
        if (v instanceof Namespace ns) {
            return "<Namespace " + dictRepr(ns.attrs) + ">";
        }
        if (v instanceof DictView dv) {
            return dv.typeName() + "(" + joinRepr("[", dv.elements(), "]") + ")";
        }
        if (v instanceof Range r) {
            return "range(" + r.start() + ", " + r.stop() + (r.step() == 1 ? "" : ", " + r.step()) + ")";
        }
        if (v instanceof LoopContext loop) {
            return "<LoopContext " + (loop.index0 + 1) + "/" + loop.length() + ">";
        }
        if (v instanceof Py.Macro m) {
            return "<Macro " + (m.name() == null ? "anonymous" : PyStr.repr(m.name())) + ">";
        }
        throw JinjaException.unsupported("printing a " + typeName(v) + " object (Python prints its memory address)");
    }

    private static String joinRepr(String open, List<?> items, String close) {
        StringBuilder sb = new StringBuilder(open);
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(repr(items.get(i)));
        }
        return sb.append(close).toString();
    }

    private static String dictRepr(Map<?, ?> m) {
        StringBuilder sb = new StringBuilder("{");
        boolean first = true;
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!first) {
                sb.append(", ");
            }
            first = false;
            sb.append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
        }
        return sb.append('}').toString();
    }

    static boolean truthy(Object v) {
        if (v == null || v instanceof Undefined) {
            return false;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof Long l) {
            return l != 0;
        }
        if (v instanceof Double d) {
            return d != 0;
        }
        if (v instanceof String s) {
            return !s.isEmpty();
        }
        if (v instanceof Markup m) {
            return !m.text().isEmpty();
        }
        if (v instanceof List<?> l) {
            return !l.isEmpty();
        }
        if (v instanceof Map<?, ?> m) {
            return !m.isEmpty();
        }
        if (v instanceof Tuple t) {
            return !t.items().isEmpty();
        }
        if (v instanceof DictView dv) {
            return !dv.map().isEmpty();
        }
        if (v instanceof Range r) {
            return r.length() > 0;
        }
        if (v instanceof LoopContext loop) {
            return loop.length() > 0;
        }
        return true;
    }

    static boolean eq(Object a, Object b) {
        if (a == b) {
            return true;
        }
        if (a == null || b == null) {
            return false;
        }
        if (Py.isNumber(a) && Py.isNumber(b)) {
            return numCompare(a, b) == 0;
        }
        if (Py.isStr(a) && Py.isStr(b)) {
            return Py.strText(a).equals(Py.strText(b));
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            return seqEq(la, lb);
        }
        if (a instanceof Tuple ta && b instanceof Tuple tb) {
            return seqEq(ta.items(), tb.items());
        }
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            if (ma.size() != mb.size()) {
                return false;
            }
            for (Map.Entry<?, ?> e : ma.entrySet()) {
                Object other = Attrs.dictGet(mb, e.getKey(), Py.MISSING);
                if (other == Py.MISSING || !eq(e.getValue(), other)) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Undefined && b instanceof Undefined) {
            return true;
        }
        if (a instanceof Range ra && b instanceof Range rb) {
            return seqEq(ra.elements(), rb.elements());
        }
        return a.equals(b);
    }

    private static boolean seqEq(List<?> a, List<?> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!eq(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** Compares two numbers exactly (as Python does int vs float); 2 means unordered (NaN). */
    private static int numCompare(Object a, Object b) {
        if (Py.isInt(a) && Py.isInt(b)) {
            return Long.compare(Py.asLong(a), Py.asLong(b));
        }
        if (a instanceof Double x && b instanceof Double y) {
            return Double.isNaN(x) || Double.isNaN(y) ? 2 : Double.compare(x == 0 ? 0.0 : x, y == 0 ? 0.0 : y);
        }
        boolean flip = a instanceof Double;
        double d = flip ? (Double) a : (Double) b;
        long l = Py.asLong(flip ? b : a);
        int c; // sign of (l - d)
        if (Double.isNaN(d)) {
            return 2;
        } else if (d >= 9.223372036854775807E18) {
            c = -1;
        } else if (d < -9.223372036854775807E18) {
            c = 1;
        } else {
            long floor = (long) Math.floor(d);
            c = l != floor ? Long.compare(l, floor) : (d == floor ? 0 : -1);
        }
        return flip ? -c : c;
    }

    /** Python's {@code a OP b} for the comparison operators ({@code eq ne lt lteq gt gteq}). */
    static boolean compare(String op, Object a, Object b) {
        switch (op) {
            case "eq":
                return eq(a, b);
            case "ne":
                return !eq(a, b);
            default:
                break;
        }
        int c = order(a, b, symbol(op));
        if (c == 2) {
            return false;
        }
        return switch (op) {
            case "lt" -> c < 0;
            case "lteq" -> c <= 0;
            case "gt" -> c > 0;
            default -> c >= 0;
        };
    }

    static String symbol(String op) {
        return switch (op) {
            case "lt" -> "<";
            case "lteq" -> "<=";
            case "gt" -> ">";
            case "gteq" -> ">=";
            default -> op;
        };
    }

    /** The sign of a - b as Python orders them, 2 if unordered; TypeError for unorderable types. */
    static int order(Object a, Object b, String symbol) {
        if (a instanceof Undefined u) {
            throw u.fail();
        }
        if (b instanceof Undefined u) {
            throw u.fail();
        }
        if (Py.isNumber(a) && Py.isNumber(b)) {
            return numCompare(a, b);
        }
        if (Py.isStr(a) && Py.isStr(b)) {
            int c = PyStr.compare(Py.strText(a), Py.strText(b));
            return Integer.signum(c);
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            return seqOrder(la, lb, symbol);
        }
        if (a instanceof DictView || b instanceof DictView) {
            throw JinjaException.unsupported("ordering dict views (Python compares them as sets)");
        }
        if (a instanceof Tuple ta && b instanceof Tuple tb) {
            return seqOrder(ta.items(), tb.items(), symbol);
        }
        throw JinjaException.type(
                "'" + symbol + "' not supported between instances of '" + typeName(a) + "' and '" + typeName(b) + "'");
    }

    private static int seqOrder(List<?> a, List<?> b, String symbol) {
        int n = Math.min(a.size(), b.size());
        for (int i = 0; i < n; i++) {
            if (!eq(a.get(i), b.get(i))) {
                return order(a.get(i), b.get(i), symbol);
            }
        }
        return Integer.compare(a.size(), b.size());
    }

    static long len(Object v) {
        if (v instanceof String s) {
            return s.codePointCount(0, s.length());
        }
        if (v instanceof Markup m) {
            return len(m.text());
        }
        if (v instanceof List<?> l) {
            return l.size();
        }
        if (v instanceof Map<?, ?> m) {
            return m.size();
        }
        if (v instanceof Tuple t) {
            return t.items().size();
        }
        if (v instanceof Undefined) {
            return 0;
        }
        if (v instanceof DictView dv) {
            return dv.map().size();
        }
        if (v instanceof Range r) {
            return r.length();
        }
        if (v instanceof LoopContext loop) {
            return loop.length();
        }
        throw JinjaException.type("object of type '" + typeName(v) + "' has no len()");
    }

    static boolean isIterable(Object v) {
        return v instanceof String
                || v instanceof Markup
                || v instanceof List
                || v instanceof Map
                || v instanceof Tuple
                || v instanceof Undefined
                || v instanceof Iter
                || v instanceof DictView
                || v instanceof Range;
    }

    /** Python's iter(v): lazily for one-shot iterators (they must stay consumable once). */
    @SuppressWarnings("unchecked")
    static Iterator<Object> iter(Object v) {
        if (v instanceof Iter it) {
            return it;
        }
        if (v instanceof List<?> l) {
            return ((List<Object>) l).iterator();
        }
        return toList(v).iterator();
    }

    /** Python's list(v). */
    @SuppressWarnings("unchecked")
    static List<Object> toList(Object v) {
        if (v instanceof List<?> l) {
            return new ArrayList<>((List<Object>) l);
        }
        if (v instanceof Tuple t) {
            return new ArrayList<>(t.items());
        }
        if (v instanceof String || v instanceof Markup) {
            return PyStr.chars(Py.strText(v));
        }
        if (v instanceof Map<?, ?> m) {
            return new ArrayList<>((java.util.Set<Object>) m.keySet());
        }
        if (v instanceof Undefined) {
            return new ArrayList<>();
        }
        if (v instanceof Iter it) {
            List<Object> out = new ArrayList<>();
            it.forEachRemaining(out::add);
            return out;
        }
        if (v instanceof DictView dv) {
            return dv.elements();
        }
        if (v instanceof Range r) {
            return r.elements();
        }
        if (v instanceof LoopContext) {
            throw JinjaException.unsupported("iterating over a loop variable");
        }
        throw JinjaException.type("'" + typeName(v) + "' object is not iterable");
    }

    /** Python's {@code item in container}. */
    static boolean contains(Object container, Object item) {
        if (container instanceof String || container instanceof Markup) {
            if (!Py.isStr(item)) {
                throw JinjaException.type("'in <string>' requires string as left operand, not " + typeName(item));
            }
            return Py.strText(container).contains(Py.strText(item));
        }
        if (container instanceof Map<?, ?> m) {
            Attrs.checkHashable(item);
            return Attrs.dictGet(m, item, Py.MISSING) != Py.MISSING;
        }
        if (container instanceof DictView dv && dv.view() == DictView.View.keys) {
            Attrs.checkHashable(item);
            return Attrs.dictGet(dv.map(), item, Py.MISSING) != Py.MISSING;
        }
        if (container instanceof Range r) {
            if (!Py.isInt(item)) {
                return r.elements().stream().anyMatch(x -> eq(x, item));
            }
            long x = Py.asLong(item);
            long n = r.length();
            if (n == 0 || (x - r.start()) % r.step() != 0) {
                return false;
            }
            long i = (x - r.start()) / r.step();
            return i >= 0 && i < n;
        }
        if (container instanceof Py.Namespace || container == null || !isIterable(container)) {
            throw JinjaException.type("argument of type '" + typeName(container) + "' is not iterable");
        }
        Iterator<Object> it = iter(container);
        while (it.hasNext()) {
            Object x = it.next();
            if (x == item || eq(x, item)) {
                return true;
            }
        }
        return false;
    }
}
