package dev.revise.policies.tokenizer.jinja;

import dev.revise.policies.tokenizer.jinja.Py.Tuple;
import dev.revise.policies.tokenizer.jinja.Py.Undefined;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/** jinja2's filters over sequences: map, select & co, sort, unique, min/max, sum, batch... */
final class Sequences {
    private Sequences() {}

    static Object apply(Evaluator ev, String name, Object v, List<Object> args, Map<String, Object> kw) {
        switch (name) {
            case "map" -> {
                return Filters.lazy(
                        "generator",
                        () -> PyOps.truthy(v)
                                ? mapped(v, mapper(ev, args, kw))
                                : List.<Object>of().iterator());
            }
            case "select", "reject", "selectattr", "rejectattr" -> {
                boolean attr = name.endsWith("attr");
                boolean keep = name.startsWith("select");
                return Filters.lazy("generator", () -> selected(ev, v, args, kw, attr, keep));
            }
            case "items" -> {
                Args.positional(name, args, kw);
                if (v instanceof Undefined) {
                    return Filters.lazy("generator", () -> List.<Object>of().iterator());
                }
                if (!(v instanceof Map<?, ?> m)) {
                    throw JinjaException.type("Can only get item pairs from a mapping.");
                }
                return Filters.lazy("generator", () -> new Py.DictView(cast(m), Py.DictView.View.items)
                        .elements()
                        .iterator());
            }
            case "reverse" -> {
                Args.positional(name, args, kw);
                if (Py.isStr(v)) {
                    StringBuilder sb = new StringBuilder();
                    List<Object> cps = PyStr.chars(Py.strText(v));
                    for (int i = cps.size() - 1; i >= 0; i--) {
                        sb.append((String) cps.get(i));
                    }
                    return sb.toString();
                }
                if (v instanceof Undefined) {
                    return Filters.reversedIter(List.of(), "reversed");
                }
                String it = v instanceof List
                        ? "list_reverseiterator"
                        : v instanceof Map ? "dict_reversekeyiterator" : "reversed";
                if (v instanceof Py.Iter) {
                    List<Object> items = PyOps.toList(v);
                    java.util.Collections.reverse(items);
                    return items;
                }
                if (!PyOps.isIterable(v)) {
                    throw new JinjaException(JinjaException.Kind.FilterArgumentError, "argument must be iterable");
                }
                return Filters.reversedIter(Filters.reversible(v), it);
            }
            case "sort" -> {
                Object[] a = Args.bind("do_sort", args, kw, "reverse?", "case_sensitive?", "attribute?");
                boolean reverse = PyOps.truthy(Args.or(a[0], false));
                boolean cs = PyOps.truthy(Args.or(a[1], false));
                Object attribute = Args.or(a[2], null);
                List<Object> attrs = attribute instanceof String s ? PyStr.split(s, ",", -1) : listOf(attribute);
                return sorted(
                        PyOps.toList(v),
                        item -> {
                            List<Object> key = new ArrayList<>();
                            for (Object part : attrs) {
                                key.add(caseKey(Filters.attrGetter(item, part, null), cs));
                            }
                            return key;
                        },
                        reverse);
            }
            case "dictsort" -> {
                Object[] a = Args.bind("do_dictsort", args, kw, "case_sensitive?", "by?", "reverse?");
                boolean cs = PyOps.truthy(Args.or(a[0], false));
                Object by = Args.or(a[1], "key");
                if (!"key".equals(by) && !"value".equals(by)) {
                    throw new JinjaException(
                            JinjaException.Kind.FilterArgumentError,
                            "You can only sort by either \"key\" or \"value\"");
                }
                int pos = "key".equals(by) ? 0 : 1;
                if (v instanceof Undefined u) {
                    throw u.fail();
                }
                if (!(v instanceof Map<?, ?> m)) {
                    throw new JinjaException(
                            JinjaException.Kind.AttributeError,
                            "'" + PyOps.typeName(v) + "' object has no attribute 'items'");
                }
                List<Object> items = new Py.DictView(cast(m), Py.DictView.View.items).elements();
                return sorted(
                        items,
                        item -> caseKey(((Tuple) item).items().get(pos), cs),
                        PyOps.truthy(Args.or(a[2], false)));
            }
            case "unique" -> {
                Object[] a = Args.bind("do_unique", args, kw, "case_sensitive?", "attribute?");
                boolean cs = PyOps.truthy(Args.or(a[0], false));
                Object attribute = Args.or(a[1], null);
                return Filters.lazy("generator", () -> {
                    List<Object> seen = new ArrayList<>();
                    List<Object> out = new ArrayList<>();
                    for (Iterator<Object> it = PyOps.iter(v); it.hasNext(); ) {
                        Object item = it.next();
                        Object key = caseKey(Filters.attrGetter(item, attribute, null), cs);
                        Attrs.checkHashable(key);
                        if (seen.stream().noneMatch(s -> PyOps.eq(s, key))) {
                            seen.add(key);
                            out.add(item);
                        }
                    }
                    return out.iterator();
                });
            }
            case "min", "max" -> {
                Object[] a = Args.bind("do_" + name, args, kw, "case_sensitive?", "attribute?");
                boolean cs = PyOps.truthy(Args.or(a[0], false));
                Object attribute = Args.or(a[1], null);
                List<Object> items = PyOps.toList(v);
                if (items.isEmpty()) {
                    return Undefined.withHint("No aggregated item, sequence was empty.");
                }
                Object best = items.get(0);
                Object bestKey = caseKey(Filters.attrGetter(best, attribute, null), cs);
                for (Object item : items.subList(1, items.size())) {
                    Object key = caseKey(Filters.attrGetter(item, attribute, null), cs);
                    int c = PyOps.order(key, bestKey, name.equals("min") ? "<" : ">");
                    if (c != 2 && (name.equals("min") ? c < 0 : c > 0)) {
                        best = item;
                        bestKey = key;
                    }
                }
                return best;
            }
            case "sum" -> {
                Object[] a = Args.bind("do_sum", args, kw, "attribute?", "start?");
                Object attribute = Args.or(a[0], null);
                Object total = Args.or(a[1], 0L);
                for (Iterator<Object> it = PyOps.iter(v); it.hasNext(); ) {
                    Object item = it.next();
                    total = PyArith.binary(
                            "add", total, attribute == null ? item : Filters.attrGetter(item, attribute, null));
                }
                return total;
            }
            case "batch" -> {
                Object[] a = Args.bind("do_batch", args, kw, "linecount", "fill_with?");
                long n = Args.intArg("batch", a[0]);
                Object fill = Args.or(a[1], null);
                return Filters.lazy("generator", () -> {
                    List<Object> out = new ArrayList<>();
                    List<Object> tmp = new ArrayList<>();
                    for (Iterator<Object> it = PyOps.iter(v); it.hasNext(); ) {
                        Object item = it.next();
                        if (tmp.size() == n) {
                            out.add(tmp);
                            tmp = new ArrayList<>();
                        }
                        tmp.add(item);
                    }
                    if (!tmp.isEmpty()) {
                        while (fill != null && tmp.size() < n) {
                            tmp.add(fill);
                        }
                        out.add(tmp);
                    }
                    return out.iterator();
                });
            }
            case "slice" -> {
                Object[] a = Args.bind("do_slice", args, kw, "slices", "fill_with?");
                long slices = Args.intArg("slice", a[0]);
                Object fill = Args.or(a[1], null);
                return Filters.lazy("generator", () -> {
                    List<Object> seq = PyOps.toList(v);
                    if (slices == 0) { // raised when iterated, as jinja2's generator raises it
                        throw new JinjaException(
                                JinjaException.Kind.ZeroDivisionError, "integer division or modulo by zero");
                    }
                    long perSlice = Math.floorDiv(seq.size(), slices);
                    long withExtra = Math.floorMod(seq.size(), slices);
                    long offset = 0;
                    List<Object> out = new ArrayList<>();
                    for (long k = 0; k < slices; k++) {
                        long start = offset + k * perSlice;
                        if (k < withExtra) {
                            offset++;
                        }
                        long end = offset + (k + 1) * perSlice;
                        List<Object> tmp = Attrs.sliceList(seq, start, end, null);
                        if (fill != null && k >= withExtra) {
                            tmp.add(fill);
                        }
                        out.add(tmp);
                    }
                    return out.iterator();
                });
            }
            default -> throw JinjaException.unsupported("the '" + name + "' filter");
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<Object, Object> cast(Map<?, ?> m) {
        return (Map<Object, Object>) m;
    }

    private static List<Object> listOf(Object o) {
        List<Object> l = new ArrayList<>();
        l.add(o);
        return l;
    }

    private static Object caseKey(Object v, boolean caseSensitive) {
        return !caseSensitive && v instanceof String s ? PyStr.lower(s) : v;
    }

    private static List<Object> sorted(List<Object> items, Function<Object, Object> key, boolean reverse) {
        List<Object> keys = new ArrayList<>(items.size());
        items.forEach(i -> keys.add(key.apply(i)));
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            idx.add(i);
        }
        Comparator<Integer> cmp = (x, y) -> {
            int c = PyOps.order(keys.get(x), keys.get(y), "<");
            return c == 2 ? 0 : c;
        };
        idx.sort(reverse ? cmp.reversed() : cmp);
        List<Object> out = new ArrayList<>(items.size());
        idx.forEach(i -> out.add(items.get(i)));
        return out;
    }

    private static Function<Object, Object> mapper(Evaluator ev, List<Object> args, Map<String, Object> kw) {
        if (args.isEmpty() && kw.containsKey("attribute")) {
            Map<String, Object> rest = new LinkedHashMap<>(kw);
            Object attribute = rest.remove("attribute");
            Object dflt = rest.remove("default");
            if (!rest.isEmpty()) {
                throw new JinjaException(
                        JinjaException.Kind.FilterArgumentError,
                        "Unexpected keyword argument "
                                + PyOps.repr(rest.keySet().iterator().next()));
            }
            return item -> Filters.attrGetter(item, attribute, dflt);
        }
        if (args.isEmpty()) {
            throw new JinjaException(JinjaException.Kind.FilterArgumentError, "map requires a filter argument");
        }
        String filter = PyOps.str(args.get(0));
        List<Object> rest = args.subList(1, args.size());
        return item -> ev.applyFilter(filter, item, rest, kw);
    }

    private static Iterator<Object> mapped(Object v, Function<Object, Object> f) {
        Iterator<Object> it = PyOps.iter(v);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public Object next() {
                return f.apply(it.next());
            }
        };
    }

    private static Iterator<Object> selected(
            Evaluator ev, Object v, List<Object> args, Map<String, Object> kw, boolean lookupAttr, boolean keep) {
        if (!PyOps.truthy(v)) {
            return List.<Object>of().iterator();
        }
        Function<Object, Object> trans = x -> x;
        int off = 0;
        if (lookupAttr) {
            if (args.isEmpty()) {
                throw new JinjaException(
                        JinjaException.Kind.FilterArgumentError, "Missing parameter for attribute name");
            }
            Object attribute = args.get(0);
            trans = x -> Filters.attrGetter(x, attribute, null);
            off = 1;
        }
        Predicate<Object> test;
        if (args.size() > off) {
            String name = PyOps.str(args.get(off));
            List<Object> rest = args.subList(off + 1, args.size());
            test = x -> ev.applyTest(name, x, rest, kw);
        } else {
            test = PyOps::truthy;
        }
        Function<Object, Object> t = trans;
        Iterator<Object> it = PyOps.iter(v);
        return new Iterator<>() {
            private Object next = Py.MISSING;

            @Override
            public boolean hasNext() {
                while (next == Py.MISSING && it.hasNext()) {
                    Object item = it.next();
                    if (test.test(t.apply(item)) == keep) {
                        next = item;
                    }
                }
                return next != Py.MISSING;
            }

            @Override
            public Object next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                Object out = next;
                next = Py.MISSING;
                return out;
            }
        };
    }
}
