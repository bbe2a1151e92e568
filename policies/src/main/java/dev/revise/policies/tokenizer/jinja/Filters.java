package dev.revise.policies.tokenizer.jinja;

import dev.revise.policies.tokenizer.jinja.Py.Iter;
import dev.revise.policies.tokenizer.jinja.Py.Markup;
import dev.revise.policies.tokenizer.jinja.Py.Tuple;
import dev.revise.policies.tokenizer.jinja.Py.Undefined;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/** jinja2's builtin filters (filters.py), with transformers' {@code tojson}. */
final class Filters {
    private Filters() {}

    /** Every filter name jinja2 knows; the parser rejects others, as jinja2's compiler does. */
    static final Set<String> NAMES = Set.of(
            "abs",
            "attr",
            "batch",
            "capitalize",
            "center",
            "count",
            "d",
            "default",
            "dictsort",
            "e",
            "escape",
            "filesizeformat",
            "first",
            "float",
            "forceescape",
            "format",
            "groupby",
            "indent",
            "int",
            "join",
            "last",
            "length",
            "list",
            "lower",
            "items",
            "map",
            "min",
            "max",
            "pprint",
            "random",
            "reject",
            "rejectattr",
            "replace",
            "reverse",
            "round",
            "safe",
            "select",
            "selectattr",
            "slice",
            "sort",
            "string",
            "striptags",
            "sum",
            "title",
            "trim",
            "truncate",
            "unique",
            "upper",
            "urlencode",
            "urlize",
            "wordcount",
            "wordwrap",
            "xmlattr",
            "tojson");

    static Object apply(Evaluator ev, String name, Object v, List<Object> args, Map<String, Object> kw) {
        switch (name) {
            case "length", "count" -> {
                Args.positional(name, args, kw);
                return PyOps.len(v);
            }
            case "tojson" -> {
                Object[] a = Args.bind("tojson", args, kw, "ensure_ascii?", "indent?", "separators?", "sort_keys?");
                return Json.dumps(
                        v,
                        PyOps.truthy(Args.or(a[0], false)),
                        Args.or(a[1], null),
                        Args.or(a[2], null),
                        PyOps.truthy(Args.or(a[3], false)));
            }
            case "trim" -> {
                Object[] a = Args.bind("do_trim", args, kw, "chars?");
                return sameKind(v, PyStr.strip(PyOps.str(v), Args.optStr("strip", a[0]), true, true));
            }
            case "upper", "lower", "capitalize", "title", "wordcount" -> {
                Args.bind(name, args, kw);
                String s = PyOps.str(v);
                return switch (name) {
                    case "upper" -> sameKind(v, PyStr.upper(s));
                    case "lower" -> sameKind(v, PyStr.lower(s));
                    case "capitalize" -> sameKind(v, PyStr.capitalize(s));
                    case "title" -> sameKind(v, title(s));
                    default -> wordcount(s);
                };
            }
            case "default", "d" -> {
                Object[] a = Args.bind("do_default", args, kw, "default_value?", "boolean?");
                boolean useDefault = v instanceof Undefined || (PyOps.truthy(Args.or(a[1], false)) && !PyOps.truthy(v));
                return useDefault ? Args.or(a[0], "") : v;
            }
            case "join" -> {
                Object[] a = Args.bind("do_join", args, kw, "d?", "attribute?");
                Object attr = Args.or(a[1], null);
                StringBuilder sb = new StringBuilder();
                String sep = PyOps.str(Args.or(a[0], ""));
                boolean first = true;
                for (Iterator<Object> it = PyOps.iter(v); it.hasNext(); ) {
                    Object item = it.next();
                    if (!first) {
                        sb.append(sep);
                    }
                    first = false;
                    sb.append(PyOps.str(attr == null ? item : attrGetter(item, attr, null)));
                }
                return sb.toString();
            }
            case "first" -> {
                Args.bind(name, args, kw);
                Iterator<Object> it = PyOps.iter(v);
                return it.hasNext() ? it.next() : Undefined.withHint("No first item, sequence was empty.");
            }
            case "last" -> {
                Args.bind(name, args, kw);
                List<Object> items = reversible(v);
                return items.isEmpty()
                        ? Undefined.withHint("No last item, sequence was empty.")
                        : items.get(items.size() - 1);
            }
            case "list" -> {
                Args.bind(name, args, kw);
                return PyOps.toList(v);
            }
            case "string" -> {
                Args.bind(name, args, kw);
                return v instanceof Markup ? v : PyOps.str(v);
            }
            case "safe" -> {
                Args.bind(name, args, kw);
                return v instanceof Markup ? v : new Markup(PyOps.str(v));
            }
            case "e", "escape", "forceescape" -> {
                Args.bind(name, args, kw);
                if (v instanceof Markup m && !name.equals("forceescape")) {
                    return m;
                }
                return new Markup(PyArith.escape(v instanceof Markup m ? m.text() : PyOps.str(v)));
            }
            case "replace" -> {
                Object[] a = Args.bind("do_replace", args, kw, "old", "new", "count?");
                Object count = Args.or(a[2], null);
                return PyStr.replace(
                        PyOps.str(v),
                        PyOps.str(a[0]),
                        PyOps.str(a[1]),
                        count == null ? -1 : Args.intArg("replace", count));
            }
            case "center" -> {
                Object[] a = Args.bind("do_center", args, kw, "width?");
                return sameKind(v, PyStr.center(PyOps.str(v), Args.intArg("center", Args.or(a[0], 80L)), " "));
            }
            case "indent" -> {
                Object[] a = Args.bind("do_indent", args, kw, "width?", "first?", "blank?");
                return sameKind(
                        v,
                        indent(
                                indentInput(v),
                                Args.or(a[0], 4L),
                                PyOps.truthy(Args.or(a[1], false)),
                                PyOps.truthy(Args.or(a[2], false))));
            }
            case "truncate" -> {
                Object[] a = Args.bind("do_truncate", args, kw, "length?", "killwords?", "end?", "leeway?");
                return truncate(
                        v,
                        Args.intArg("truncate", Args.or(a[0], 255L)),
                        PyOps.truthy(Args.or(a[1], false)),
                        PyOps.str(Args.or(a[2], "...")),
                        Args.intArg("truncate", Args.or(a[3], null) == null ? 5L : a[3]));
            }
            case "int" -> {
                Object[] a = Args.bind("do_int", args, kw, "default?", "base?");
                return Convert.toInt(v, Args.or(a[0], 0L), Args.intArg("int", Args.or(a[1], 10L)));
            }
            case "float" -> {
                Object[] a = Args.bind("do_float", args, kw, "default?");
                return Convert.toFloat(v, Args.or(a[0], 0.0));
            }
            case "abs" -> {
                Args.positional(name, args, kw);
                if (v instanceof Double d) {
                    return Math.abs(d);
                }
                if (Py.isInt(v)) {
                    long l = Py.asLong(v);
                    if (l == Long.MIN_VALUE) {
                        throw JinjaException.unsupported("an int result beyond 64 bits");
                    }
                    return Math.abs(l);
                }
                throw JinjaException.type("bad operand type for abs(): '" + PyOps.typeName(v) + "'");
            }
            case "round" -> {
                Object[] a = Args.bind("do_round", args, kw, "precision?", "method?");
                return round(v, Args.intArg("round", Args.or(a[0], 0L)), PyOps.str(Args.or(a[1], "common")));
            }
            case "format" -> {
                if (!args.isEmpty() && !kw.isEmpty()) {
                    throw new JinjaException(
                            JinjaException.Kind.FilterArgumentError,
                            "can't handle positional and keyword arguments at the same time");
                }
                Object fmtArgs = !kw.isEmpty() ? new java.util.LinkedHashMap<Object, Object>(kw) : new Tuple(args);
                return PyFormat.percent(PyOps.str(v), fmtArgs);
            }
            case "attr" -> {
                Object[] a = Args.bind("do_attr", args, kw, "name");
                if (v instanceof Undefined u) {
                    throw u.fail();
                }
                String attr = Args.str("attr", a[0]);
                Object got = attr.startsWith("__") ? Undefined.unsafe(v, attr) : Attrs.attribute(v, attr);
                return got == Py.MISSING ? Undefined.missingOn(v, attr) : got;
            }
            default -> {
                return Sequences.apply(ev, name, v, args, kw);
            }
        }
    }

    /** A string filter's result keeps Markup-ness, as markupsafe's str methods do. */
    private static Object sameKind(Object input, String result) {
        return input instanceof Markup ? new Markup(result) : result;
    }

    /** jinja2's make_attrgetter: dotted path, digit parts as int indexes, default for Undefined. */
    static Object attrGetter(Object item, Object attribute, Object dflt) {
        List<Object> parts = new ArrayList<>();
        if (attribute instanceof String s) {
            for (Object part : PyStr.split(s, ".", -1)) {
                String p = (String) part;
                boolean digits = !p.isEmpty() && p.chars().allMatch(Character::isDigit);
                parts.add(digits ? (Object) Long.parseLong(p) : p);
            }
        } else if (attribute != null) {
            parts.add(attribute);
        }
        for (Object part : parts) {
            item = Attrs.getitem(item, part);
            if (dflt != null && item instanceof Undefined) {
                item = dflt;
            }
        }
        return item;
    }

    /** reversed(v) as a list, for the types Python can reverse. */
    static List<Object> reversible(Object v) {
        if (v instanceof List
                || v instanceof Tuple
                || Py.isStr(v)
                || v instanceof Map
                || v instanceof Py.Range
                || v instanceof Py.DictView) {
            return PyOps.toList(v);
        }
        if (v instanceof Undefined) {
            return List.of();
        }
        throw JinjaException.type("'" + PyOps.typeName(v) + "' object is not reversible");
    }

    private static String title(String s) {
        StringBuilder sb = new StringBuilder();
        // jinja2 splits on runs of [-\s({\[<] and capitalizes each piece, keeping the separators.
        int i = 0;
        while (i < s.length()) {
            int j = i;
            boolean sep = isTitleSep(s.codePointAt(i));
            while (j < s.length() && isTitleSep(s.codePointAt(j)) == sep) {
                j += Character.charCount(s.codePointAt(j));
            }
            String piece = s.substring(i, j);
            if (sep) {
                sb.append(piece);
            } else {
                int first = piece.codePointAt(0);
                sb.append(PyStr.upper(Character.toString(first)))
                        .append(PyStr.lower(piece.substring(Character.charCount(first))));
            }
            i = j;
        }
        return sb.toString();
    }

    private static boolean isTitleSep(int c) {
        return c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || PyStr.isSpace(c);
    }

    private static long wordcount(String s) {
        long count = 0;
        boolean in = false;
        for (int c : PyStr.codePoints(s)) {
            boolean w = PyStr.isWordChar(c);
            if (w && !in) {
                count++;
            }
            in = w;
        }
        return count;
    }

    /** do_indent starts with {@code s += "\n"}, so only a str gets past it; mirror how the rest fail. */
    private static String indentInput(Object v) {
        if (Py.isStr(v)) {
            return Py.strText(v);
        }
        if (v instanceof Undefined u) {
            throw u.fail();
        }
        if (v instanceof List) {
            throw new JinjaException(JinjaException.Kind.AttributeError, "'list' object has no attribute 'splitlines'");
        }
        if (v instanceof Tuple) {
            throw JinjaException.type("can only concatenate tuple (not \"str\") to tuple");
        }
        throw JinjaException.type("unsupported operand type(s) for +=: '" + PyOps.typeName(v) + "' and 'str'");
    }

    private static String indent(String s, Object width, boolean first, boolean blank) {
        String indention = width instanceof String w ? w : PyStr.repeat(" ", Args.intArg("indent", width));
        List<Object> lines = PyStr.splitlines(s + "\n", false);
        StringBuilder rv = new StringBuilder();
        if (blank) {
            for (int i = 0; i < lines.size(); i++) {
                rv.append(i == 0 ? "" : "\n" + indention).append((String) lines.get(i));
            }
        } else {
            rv.append((String) lines.get(0));
            for (int i = 1; i < lines.size(); i++) {
                String line = (String) lines.get(i);
                rv.append('\n').append(line.isEmpty() ? "" : indention).append(line);
            }
        }
        return first ? indention + rv : rv.toString();
    }

    /** do_truncate works on the value itself (no str()), so short lists come back unchanged. */
    private static Object truncate(Object v, long length, boolean killwords, String end, long leeway) {
        long endLen = PyOps.len(end);
        if (length < endLen) {
            throw JinjaException.unsupported("truncate with length shorter than the end marker (an assert in jinja2)");
        }
        if (PyOps.len(v) <= length + leeway) {
            return v;
        }
        if (!Py.isStr(v)) {
            return PyArith.add(Attrs.slice(v, null, length - endLen, null), end);
        }
        String s = Py.strText(v);
        String head = PyStr.fromCodePoints(PyStr.codePoints(s), 0, (int) (length - endLen));
        if (killwords) {
            return head + end;
        }
        return PyStr.rsplit(head, " ", 1).get(0) + end;
    }

    private static Object round(Object v, long precision, String method) {
        if (!Set.of("common", "ceil", "floor").contains(method)) {
            throw new JinjaException(JinjaException.Kind.FilterArgumentError, "method must be common, ceil or floor");
        }
        if (method.equals("common")) {
            if (!Py.isNumber(v)) {
                throw JinjaException.type("type " + PyOps.typeName(v) + " doesn't define __round__ method");
            }
            if (Py.isInt(v)) {
                long l = Py.asLong(v);
                if (precision >= 0) {
                    return l;
                }
                if (precision < -19) {
                    return 0L; // every long rounds to 0 at 10^20 and beyond
                }
                try {
                    return new BigDecimal(l)
                            .setScale((int) precision, RoundingMode.HALF_EVEN)
                            .longValueExact();
                } catch (ArithmeticException e) {
                    throw new JinjaException(
                            JinjaException.Kind.OverflowError,
                            "an int result beyond 64 bits (Python ints are unbounded) is not supported by this Jinja"
                                    + " engine");
                }
            }
            double d = (Double) v;
            if (!Double.isFinite(d) || precision > 400) {
                return d; // a double has no decimal digits beyond ~330 places: Python returns it unchanged
            }
            if (precision < -400) {
                return Math.copySign(0.0, d);
            }
            double r = new BigDecimal(d)
                    .setScale((int) precision, RoundingMode.HALF_EVEN)
                    .doubleValue();
            return r == 0 ? Math.copySign(0.0, d) : r;
        }
        if (v instanceof Undefined u) {
            throw u.fail();
        }
        if (!Py.isNumber(v)) {
            throw JinjaException.type("must be real number, not " + PyOps.typeName(v));
        }
        double scale = Math.pow(10, precision);
        double x = Py.asDouble(v) * scale;
        double rounded = method.equals("ceil") ? Math.ceil(x) : Math.floor(x);
        return rounded / scale;
    }

    /** A lazily computed one-shot iterator, as jinja2's generator filters return. */
    static Iter lazy(String typeName, Supplier<Iterator<Object>> source) {
        return new Iter(
                new Iterator<>() {
                    private Iterator<Object> it;

                    private Iterator<Object> it() {
                        if (it == null) {
                            it = source.get();
                        }
                        return it;
                    }

                    @Override
                    public boolean hasNext() {
                        return it().hasNext();
                    }

                    @Override
                    public Object next() {
                        return it().next();
                    }
                },
                typeName);
    }

    static Iter reversedIter(List<Object> items, String typeName) {
        List<Object> copy = new ArrayList<>(items);
        Collections.reverse(copy);
        return new Iter(copy.iterator(), typeName);
    }
}
