package dev.revise.policies.tokenizer.jinja;

import dev.revise.policies.tokenizer.jinja.Py.BoundMethod;
import dev.revise.policies.tokenizer.jinja.Py.LoopContext;
import dev.revise.policies.tokenizer.jinja.Py.Markup;
import dev.revise.policies.tokenizer.jinja.Py.Namespace;
import dev.revise.policies.tokenizer.jinja.Py.Range;
import dev.revise.policies.tokenizer.jinja.Py.Tuple;
import dev.revise.policies.tokenizer.jinja.Py.Undefined;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code x.name} and {@code x[key]} as the immutable sandbox resolves them: attribute first, then
 * item for {@code .}; item first, then attribute for {@code []}; failures give Undefined, and
 * methods that mutate lists or dicts give an Undefined that raises SecurityError when used.
 */
final class Attrs {
    private Attrs() {}

    static final Set<String> STR_ATTRS = Set.of(
            "capitalize",
            "casefold",
            "center",
            "count",
            "encode",
            "endswith",
            "expandtabs",
            "find",
            "format",
            "format_map",
            "index",
            "isalnum",
            "isalpha",
            "isascii",
            "isdecimal",
            "isdigit",
            "isidentifier",
            "islower",
            "isnumeric",
            "isprintable",
            "isspace",
            "istitle",
            "isupper",
            "join",
            "ljust",
            "lower",
            "lstrip",
            "maketrans",
            "partition",
            "removeprefix",
            "removesuffix",
            "replace",
            "rfind",
            "rindex",
            "rjust",
            "rpartition",
            "rsplit",
            "rstrip",
            "split",
            "splitlines",
            "startswith",
            "strip",
            "swapcase",
            "title",
            "translate",
            "upper",
            "zfill");
    static final Set<String> DICT_ATTRS = Set.of(
            "clear", "copy", "fromkeys", "get", "items", "keys", "pop", "popitem", "setdefault", "update", "values");
    static final Set<String> DICT_MUTATORS = Set.of("clear", "pop", "popitem", "setdefault", "update");
    static final Set<String> LIST_ATTRS =
            Set.of("append", "clear", "copy", "count", "extend", "index", "insert", "pop", "remove", "reverse", "sort");
    static final Set<String> LIST_MUTATORS =
            Set.of("append", "clear", "pop", "reverse", "insert", "sort", "extend", "remove");
    static final Set<String> INT_ATTRS = Set.of(
            "as_integer_ratio",
            "bit_count",
            "bit_length",
            "conjugate",
            "denominator",
            "from_bytes",
            "imag",
            "numerator",
            "real",
            "to_bytes");
    static final Set<String> FLOAT_ATTRS =
            Set.of("as_integer_ratio", "conjugate", "fromhex", "hex", "imag", "is_integer", "real");

    /** {@code obj.name}. */
    static Object getattr(Object obj, String name) {
        if (obj instanceof Undefined u) {
            throw u.fail();
        }
        if (name.startsWith("__") && name.endsWith("__")) {
            // Every Python object has dunder attributes, and the sandbox refuses them all.
            return Undefined.unsafe(obj, name);
        }
        if (obj instanceof Map<?, ?> m) {
            if (DICT_ATTRS.contains(name)) {
                return DICT_MUTATORS.contains(name) ? Undefined.unsafe(obj, name) : new BoundMethod(obj, name);
            }
            Object v = dictGet(m, name, Py.MISSING);
            return v == Py.MISSING ? Undefined.missingOn(obj, name) : v;
        }
        Object attr = attribute(obj, name);
        return attr == Py.MISSING ? Undefined.missingOn(obj, name) : attr;
    }

    /** The Python attribute (not item) {@code name} of a non-dict value, or MISSING. */
    static Object attribute(Object obj, String name) {
        if (obj instanceof Map) {
            return DICT_ATTRS.contains(name)
                    ? (DICT_MUTATORS.contains(name) ? Undefined.unsafe(obj, name) : new BoundMethod(obj, name))
                    : Py.MISSING;
        }
        if (obj instanceof String) {
            return STR_ATTRS.contains(name) ? new BoundMethod(obj, name) : Py.MISSING;
        }
        if (obj instanceof Markup) {
            return STR_ATTRS.contains(name) || name.equals("unescape") || name.equals("striptags")
                    ? new BoundMethod(obj, name)
                    : Py.MISSING;
        }
        if (obj instanceof List) {
            if (!LIST_ATTRS.contains(name)) {
                return Py.MISSING;
            }
            return LIST_MUTATORS.contains(name) ? Undefined.unsafe(obj, name) : new BoundMethod(obj, name);
        }
        if (obj instanceof Tuple) {
            return name.equals("count") || name.equals("index") ? new BoundMethod(obj, name) : Py.MISSING;
        }
        if (obj instanceof Long || obj instanceof Boolean) {
            return switch (name) {
                case "real", "numerator" -> Py.asLong(obj);
                case "imag" -> 0L;
                case "denominator" -> 1L;
                default -> INT_ATTRS.contains(name) ? new BoundMethod(obj, name) : Py.MISSING;
            };
        }
        if (obj instanceof Double d) {
            return switch (name) {
                case "real" -> d;
                case "imag" -> 0.0;
                default -> FLOAT_ATTRS.contains(name) ? new BoundMethod(obj, name) : Py.MISSING;
            };
        }
        if (obj instanceof Namespace ns) {
            return ns.attrs.containsKey(name) ? ns.attrs.get(name) : Py.MISSING;
        }
        if (obj instanceof LoopContext loop) {
            return loopAttr(loop, name);
        }
        if (obj instanceof Range r) {
            return switch (name) {
                case "start" -> r.start();
                case "stop" -> r.stop();
                case "step" -> r.step();
                case "count", "index" -> new BoundMethod(obj, name);
                default -> Py.MISSING;
            };
        }
        if (obj instanceof Py.Cycler c) {
            return switch (name) {
                case "current" -> c.items.get(c.pos);
                case "next", "reset" -> new BoundMethod(obj, name);
                default -> Py.MISSING;
            };
        }
        if (obj instanceof Py.DictView dv) {
            return name.equals("mapping") || name.equals("isdisjoint") ? unsupportedAttr(obj, name) : Py.MISSING;
        }
        return Py.MISSING;
    }

    private static Object unsupportedAttr(Object obj, String name) {
        throw JinjaException.unsupported("the attribute '" + name + "' of " + PyOps.typeName(obj));
    }

    private static Object loopAttr(LoopContext loop, String name) {
        int n = loop.length();
        int i = loop.index0;
        return switch (name) {
            case "index0" -> (long) i;
            case "index" -> (long) i + 1;
            case "revindex" -> (long) (n - i);
            case "revindex0" -> (long) (n - i - 1);
            case "first" -> i == 0;
            case "last" -> i == n - 1;
            case "length" -> (long) n;
            case "depth" -> 1L;
            case "depth0" -> 0L;
            case "previtem" -> i == 0 ? Undefined.withHint("there is no previous item") : loop.items.get(i - 1);
            case "nextitem" -> i + 1 >= n ? Undefined.withHint("there is no next item") : loop.items.get(i + 1);
            case "cycle", "changed" -> new BoundMethod(loop, name);
            default -> Py.MISSING;
        };
    }

    /** {@code obj[key]} for a non-slice key. */
    static Object getitem(Object obj, Object key) {
        if (obj instanceof Undefined u) {
            throw u.fail();
        }
        Object v = item(obj, key);
        if (v != Py.MISSING) {
            return v;
        }
        if (key instanceof String name) {
            Object attr =
                    name.startsWith("__") && name.endsWith("__") ? Undefined.unsafe(obj, name) : attribute(obj, name);
            if (attr != Py.MISSING) {
                return attr;
            }
        }
        return Undefined.missingOn(obj, key);
    }

    /** Python's {@code obj[key]}, or MISSING where Python raises LookupError or TypeError. */
    private static Object item(Object obj, Object key) {
        if (obj instanceof Map<?, ?> m) {
            if (key instanceof List || key instanceof Map) {
                return Py.MISSING;
            }
            return dictGet(m, key, Py.MISSING);
        }
        if (!Py.isInt(key)) {
            return Py.MISSING;
        }
        long i = Py.asLong(key);
        if (obj instanceof List<?> l) {
            return indexed(i, l.size()) < 0 ? Py.MISSING : l.get(indexed(i, l.size()));
        }
        if (obj instanceof Tuple t) {
            return indexed(i, t.items().size()) < 0
                    ? Py.MISSING
                    : t.items().get(indexed(i, t.items().size()));
        }
        if (obj instanceof String || obj instanceof Markup) {
            String s = Py.strText(obj);
            int n = (int) PyOps.len(s);
            int k = indexed(i, n);
            if (k < 0) {
                return Py.MISSING;
            }
            int at = s.offsetByCodePoints(0, k);
            String ch = new String(Character.toChars(s.codePointAt(at)));
            return obj instanceof Markup ? new Markup(ch) : ch;
        }
        if (obj instanceof Range r) {
            int k = indexed(i, (int) r.length());
            return k < 0 ? Py.MISSING : (Object) r.get(k);
        }
        return Py.MISSING;
    }

    private static int indexed(long i, int size) {
        long k = i < 0 ? i + size : i;
        return k < 0 || k >= size ? -1 : (int) k;
    }

    /** {@code obj[start:stop:step]}; unlike other subscripts, errors here propagate. */
    static Object slice(Object obj, Object start, Object stop, Object step) {
        if (obj instanceof Undefined u) {
            throw u.fail();
        }
        for (Object o : new Object[] {start, stop, step}) {
            if (o != null && !Py.isInt(o)) {
                throw JinjaException.type("slice indices must be integers or None or have an __index__ method");
            }
        }
        if (obj instanceof Range r) {
            return sliceRange(r, start, stop, step);
        }
        List<Object> seq;
        if (obj instanceof List<?> l) {
            seq = new ArrayList<>(l);
        } else if (obj instanceof Tuple t) {
            seq = t.items();
        } else if (obj instanceof String || obj instanceof Markup) {
            seq = PyStr.chars(Py.strText(obj));
        } else if (obj instanceof Map) {
            throw JinjaException.type("unhashable type: 'slice'");
        } else {
            throw JinjaException.type("'" + PyOps.typeName(obj) + "' object is not subscriptable");
        }
        List<Object> picked = sliceList(seq, start, stop, step);
        if (obj instanceof List) {
            return picked;
        }
        if (obj instanceof Tuple) {
            return new Tuple(picked);
        }
        StringBuilder sb = new StringBuilder();
        picked.forEach(c -> sb.append((String) c));
        return obj instanceof Markup ? new Markup(sb.toString()) : sb.toString();
    }

    /** Python slices a range into another range, not a list. */
    private static Range sliceRange(Range r, Object start, Object stop, Object step) {
        long[] b = bounds(r.length(), start, stop, step);
        return new Range(r.get(b[0]), r.get(b[1]), r.step() * b[2]);
    }

    /** PySlice_AdjustIndices: {lo, hi, step} for a sequence of length n. */
    private static long[] bounds(long n, Object start, Object stop, Object step) {
        long st = step == null ? 1 : Py.asLong(step);
        if (st == 0) {
            throw JinjaException.value("slice step cannot be zero");
        }
        long lo;
        long hi;
        if (st > 0) {
            lo = start == null ? 0 : clamp(Py.asLong(start), n, 0, n);
            hi = stop == null ? n : clamp(Py.asLong(stop), n, 0, n);
        } else {
            lo = start == null ? n - 1 : clamp(Py.asLong(start), n, -1, n - 1);
            hi = stop == null ? -1 : clamp(Py.asLong(stop), n, -1, n - 1);
        }
        return new long[] {lo, hi, st};
    }

    /** PySlice_AdjustIndices applied to a list. */
    static List<Object> sliceList(List<Object> seq, Object start, Object stop, Object step) {
        long[] b = bounds(seq.size(), start, stop, step);
        long lo = b[0];
        long hi = b[1];
        long st = b[2];
        List<Object> out = new ArrayList<>();
        if (st > 0) {
            for (long i = lo; i < hi; i += st) {
                out.add(seq.get((int) i));
            }
        } else {
            for (long i = lo; i > hi; i += st) {
                out.add(seq.get((int) i));
            }
        }
        return out;
    }

    private static long clamp(long i, long n, long min, long max) {
        if (i < 0) {
            i += n;
            return i < 0 ? min : i;
        }
        return Math.min(i, max);
    }

    /** Looks a key up with Python equality (1, 1.0 and True are the same key). */
    static Object dictGet(Map<?, ?> m, Object key, Object dflt) {
        Object v = m.get(key);
        if (v != null || m.containsKey(key)) {
            return v;
        }
        if (Py.isNumber(key)) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (Py.isNumber(e.getKey()) && PyOps.eq(e.getKey(), key)) {
                    return e.getValue();
                }
            }
        }
        return dflt;
    }

    static void checkHashable(Object key) {
        if (key instanceof List || key instanceof Map || key instanceof Py.DictView) {
            throw JinjaException.type("unhashable type: '" + PyOps.typeName(key) + "'");
        }
        if (key instanceof Tuple t) {
            t.items().forEach(Attrs::checkHashable);
        }
    }

    /** Inserts with Python key semantics: an equal existing key keeps its place and spelling. */
    static void dictPut(Map<Object, Object> m, Object key, Object value) {
        checkHashable(key);
        if (Py.isNumber(key) && !m.containsKey(key)) {
            for (Map.Entry<Object, Object> e : m.entrySet()) {
                if (Py.isNumber(e.getKey()) && PyOps.eq(e.getKey(), key)) {
                    e.setValue(value);
                    return;
                }
            }
        }
        m.put(key, value);
    }
}
