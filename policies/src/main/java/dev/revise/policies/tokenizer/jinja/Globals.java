package dev.revise.policies.tokenizer.jinja;

import dev.revise.policies.tokenizer.jinja.Py.Builtin;
import java.time.Clock;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The names every template sees: jinja2's default globals ({@code range}, {@code dict}, {@code
 * namespace}, {@code cycler}, {@code joiner}) plus transformers' {@code raise_exception} and {@code
 * strftime_now}.
 */
final class Globals {
    private Globals() {}

    /** The sandbox's MAX_RANGE. */
    private static final long MAX_RANGE = 100_000;

    static void install(Interpreter.Scope scope, Clock clock) {
        scope.set("range", new Builtin("range", Globals::range));
        scope.set("dict", new Builtin("dict", (args, kw) -> dict("dict", args, kw)));
        scope.set(
                "namespace",
                new Builtin("namespace", (args, kw) -> new Py.Namespace(stringKeys(dict("namespace", args, kw)))));
        scope.set("cycler", new Builtin("cycler", (args, kw) -> {
            if (args.isEmpty()) {
                throw JinjaException.type("Cycler() requires at least one item");
            }
            return new Py.Cycler(List.copyOf(args));
        }));
        scope.set("joiner", new Builtin("joiner", (args, kw) -> {
            Object[] a = Args.bind("joiner", args, kw, "sep?");
            return new Py.Joiner(PyOps.str(Args.or(a[0], ", ")));
        }));
        scope.set("lipsum", new Builtin("lipsum", (args, kw) -> {
            throw JinjaException.unsupported("lipsum() (random text)");
        }));
        scope.set("raise_exception", new Builtin("raise_exception", (args, kw) -> {
            Object[] a = Args.bind("raise_exception", args, kw, "message");
            throw new JinjaException(JinjaException.Kind.TemplateError, PyOps.str(a[0]));
        }));
        scope.set("strftime_now", new Builtin("strftime_now", (args, kw) -> {
            Object[] a = Args.bind("strftime_now", args, kw, "format");
            return Strftime.format(LocalDateTime.now(clock), Args.str("strftime_now", a[0]));
        }));
    }

    private static Object range(List<Object> args, Map<String, Object> kw) {
        if (!kw.isEmpty()) {
            throw JinjaException.type("range() takes no keyword arguments");
        }
        if (args.isEmpty() || args.size() > 3) {
            throw JinjaException.type("range expected at most 3 arguments, got " + args.size());
        }
        long[] v = new long[args.size()];
        for (int i = 0; i < v.length; i++) {
            if (!Py.isInt(args.get(i))) {
                throw JinjaException.type(
                        "'" + PyOps.typeName(args.get(i)) + "' object cannot be interpreted as an integer");
            }
            v[i] = Py.asLong(args.get(i));
        }
        Py.Range r = v.length == 1 ? new Py.Range(0, v[0], 1) : new Py.Range(v[0], v[1], v.length == 3 ? v[2] : 1);
        if (r.step() == 0) {
            throw JinjaException.value("range() arg 3 must not be zero");
        }
        if (r.length() > MAX_RANGE) {
            throw new JinjaException(
                    JinjaException.Kind.OverflowError,
                    "Range too big. The sandbox blocks ranges larger than MAX_RANGE (" + MAX_RANGE + ").");
        }
        return r;
    }

    /** Python's dict(mapping_or_pairs, **kwargs). */
    @SuppressWarnings("unchecked")
    static LinkedHashMap<Object, Object> dict(String fn, List<Object> args, Map<String, Object> kw) {
        if (args.size() > 1) {
            throw JinjaException.type(fn + " expected at most 1 argument, got " + args.size());
        }
        LinkedHashMap<Object, Object> out = new LinkedHashMap<>();
        if (!args.isEmpty()) {
            Object src = args.get(0);
            if (src instanceof Map<?, ?> m) {
                ((Map<Object, Object>) m).forEach((k, v) -> Attrs.dictPut(out, k, v));
            } else if (src instanceof Py.Namespace ns) {
                throw JinjaException.type("'Namespace' object is not iterable");
            } else {
                int i = 0;
                for (Object pair : PyOps.toList(src)) {
                    List<Object> kv;
                    try {
                        kv = PyOps.toList(pair);
                    } catch (JinjaException e) {
                        throw JinjaException.type(
                                "cannot convert dictionary update sequence element #" + i + " to a sequence");
                    }
                    if (kv.size() != 2) {
                        throw JinjaException.value("dictionary update sequence element #" + i + " has length "
                                + kv.size() + "; 2 is required");
                    }
                    Attrs.dictPut(out, kv.get(0), kv.get(1));
                    i++;
                }
            }
        }
        kw.forEach(out::put);
        return out;
    }

    private static LinkedHashMap<String, Object> stringKeys(Map<Object, Object> m) {
        LinkedHashMap<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> {
            if (!(k instanceof String s)) {
                throw JinjaException.unsupported("a namespace attribute whose name is not a str");
            }
            out.put(s, v);
        });
        return out;
    }

    static List<Object> copy(List<Object> l) {
        return new ArrayList<>(l);
    }
}
