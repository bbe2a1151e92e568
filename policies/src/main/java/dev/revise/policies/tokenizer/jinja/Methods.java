package dev.revise.policies.tokenizer.jinja;

import dev.revise.policies.tokenizer.jinja.Py.DictView;
import dev.revise.policies.tokenizer.jinja.Py.LoopContext;
import dev.revise.policies.tokenizer.jinja.Py.Tuple;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The Python methods templates call on values: {@code str}, {@code dict}, {@code list}, loop. */
final class Methods {
    private Methods() {}

    @SuppressWarnings("unchecked")
    static Object call(Object self, String name, List<Object> args, Map<String, Object> kw) {
        if (self instanceof String s) {
            return strMethod(s, name, args, kw);
        }
        if (self instanceof Map<?, ?> m) {
            Map<Object, Object> map = (Map<Object, Object>) m;
            switch (name) {
                case "get": {
                    Object[] a = Args.positional("dict.get", args, kw, "key", "default?");
                    Attrs.checkHashable(a[0]);
                    return Attrs.dictGet(map, a[0], Args.or(a[1], null));
                }
                case "items":
                case "keys":
                case "values":
                    Args.positional(name, args, kw);
                    return new DictView(map, DictView.View.valueOf(name));
                case "copy":
                    Args.positional(name, args, kw);
                    return new LinkedHashMap<>(map);
                default:
                    break;
            }
        } else if (self instanceof List<?> || self instanceof Tuple) {
            List<Object> items = self instanceof Tuple t ? t.items() : (List<Object>) self;
            switch (name) {
                case "count": {
                    Object x = Args.positional("count", args, kw, "value")[0];
                    return items.stream().filter(y -> PyOps.eq(y, x)).count();
                }
                case "index": {
                    Object[] a = Args.positional("index", args, kw, "value", "start?", "stop?");
                    List<Object> window = Attrs.sliceList(items, Args.or(a[1], null), Args.or(a[2], null), null);
                    for (int i = 0; i < window.size(); i++) {
                        if (PyOps.eq(window.get(i), a[0])) {
                            return i + startIndex(a[1], items.size());
                        }
                    }
                    throw JinjaException.value(
                            (self instanceof Tuple
                                    ? "tuple.index(x): x not in tuple"
                                    : PyOps.repr(a[0]) + " is not in list"));
                }
                case "copy":
                    if (self instanceof List) {
                        return new ArrayList<>(items);
                    }
                    break;
                default:
                    break;
            }
        } else if (self instanceof LoopContext loop) {
            if (name.equals("cycle")) {
                if (!kw.isEmpty()) {
                    throw JinjaException.type("cycle() got an unexpected keyword argument");
                }
                if (args.isEmpty()) {
                    throw JinjaException.type("no items for cycling given");
                }
                return args.get(loop.index0 % args.size());
            }
            if (name.equals("changed")) {
                Tuple value = new Tuple(List.copyOf(args));
                if (loop.lastChanged == Py.MISSING || !PyOps.eq(loop.lastChanged, value)) {
                    loop.lastChanged = value;
                    return true;
                }
                return false;
            }
        } else if (self instanceof Py.Cycler c) {
            if (name.equals("next")) {
                Object v = c.items.get(c.pos);
                c.pos = (c.pos + 1) % c.items.size();
                return v;
            }
            if (name.equals("reset")) {
                c.pos = 0;
                return null;
            }
        } else if (self instanceof Py.Range r && (name.equals("count") || name.equals("index"))) {
            Object x = Args.positional(name, args, kw, "value")[0];
            boolean in = PyOps.contains(r, x);
            if (name.equals("count")) {
                return in ? 1L : 0L;
            }
            if (!in) {
                throw JinjaException.value(PyOps.repr(x) + " is not in range");
            }
            if (Py.isInt(x)) {
                return (Py.asLong(x) - r.start()) / r.step();
            }
            List<Object> elements = r.elements();
            for (int i = 0; ; i++) {
                if (PyOps.eq(elements.get(i), x)) {
                    return (long) i;
                }
            }
        }
        throw JinjaException.unsupported("the method " + PyOps.typeName(self) + "." + name + "()");
    }

    private static long startIndex(Object start, int size) {
        if (start == Py.MISSING || start == null) {
            return 0;
        }
        long s = Py.asLong(start);
        if (s < 0) {
            s = Math.max(0, s + size);
        }
        return Math.min(s, size);
    }

    private static Object strMethod(String s, String name, List<Object> args, Map<String, Object> kw) {
        switch (name) {
            case "startswith":
            case "endswith": {
                Object[] a = Args.positional(name, args, kw, "prefix", "start?", "end?");
                String window = window(s, a[1], a[2]);
                if (window == null) {
                    return false;
                }
                List<Object> options = a[0] instanceof Tuple t ? t.items() : List.of(a[0]);
                for (Object o : options) {
                    if (!Py.isStr(o)) {
                        throw JinjaException.type(name + " first arg must be str or a tuple of str, not "
                                + PyOps.typeName(a[0] instanceof Tuple ? o : a[0]));
                    }
                    String p = Py.strText(o);
                    if (name.equals("startswith") ? window.startsWith(p) : window.endsWith(p)) {
                        return true;
                    }
                }
                return false;
            }
            case "strip":
            case "lstrip":
            case "rstrip": {
                String chars = Args.optStr(name, Args.positional(name, args, kw, "chars?")[0]);
                return PyStr.strip(s, chars, !name.equals("rstrip"), !name.equals("lstrip"));
            }
            case "split":
            case "rsplit": {
                Object[] a = Args.bind(name, args, kw, "sep?", "maxsplit?");
                String sep = Args.optStr(name, a[0]);
                long max = Args.intArg(name, Args.or(a[1], -1L));
                return name.equals("split") ? PyStr.split(s, sep, max) : PyStr.rsplit(s, sep, max);
            }
            case "splitlines":
                return PyStr.splitlines(s, PyOps.truthy(Args.or(Args.bind(name, args, kw, "keepends?")[0], false)));
            case "lower":
                Args.positional(name, args, kw);
                return PyStr.lower(s);
            case "upper":
                Args.positional(name, args, kw);
                return PyStr.upper(s);
            case "title":
                Args.positional(name, args, kw);
                return PyStr.title(s);
            case "capitalize":
                Args.positional(name, args, kw);
                return PyStr.capitalize(s);
            case "swapcase": {
                Args.positional(name, args, kw);
                StringBuilder sb = new StringBuilder();
                s.codePoints()
                        .forEach(c -> sb.append(
                                Character.isUpperCase(c)
                                        ? PyStr.lower(Character.toString(c))
                                        : Character.isLowerCase(c)
                                                ? PyStr.upper(Character.toString(c))
                                                : Character.toString(c)));
                return sb.toString();
            }
            case "replace": {
                Object[] a = Args.positional(name, args, kw, "old", "new", "count?");
                return PyStr.replace(
                        s, Args.str(name, a[0]), Args.str(name, a[1]), Args.intArg(name, Args.or(a[2], -1L)));
            }
            case "find":
            case "rfind":
            case "index":
            case "rindex":
            case "count":
                return search(s, name, args, kw);
            case "join": {
                Object iterable = Args.positional(name, args, kw, "iterable")[0];
                StringBuilder sb = new StringBuilder();
                int i = 0;
                for (java.util.Iterator<Object> it = PyOps.iter(iterable); it.hasNext(); i++) {
                    Object item = it.next();
                    if (!Py.isStr(item)) {
                        throw JinjaException.type(
                                "sequence item " + i + ": expected str instance, " + PyOps.typeName(item) + " found");
                    }
                    if (i > 0) {
                        sb.append(s);
                    }
                    sb.append(Py.strText(item));
                }
                return sb.toString();
            }
            case "format":
                return PyFormat.format(s, args, kw);
            case "removeprefix": {
                String p = Args.str(name, Args.positional(name, args, kw, "prefix")[0]);
                return s.startsWith(p) ? s.substring(p.length()) : s;
            }
            case "removesuffix": {
                String p = Args.str(name, Args.positional(name, args, kw, "suffix")[0]);
                return s.endsWith(p) && !p.isEmpty() ? s.substring(0, s.length() - p.length()) : s;
            }
            case "center":
            case "ljust":
            case "rjust": {
                Object[] a = Args.positional(name, args, kw, "width", "fillchar?");
                long width = Args.intArg(name, a[0]);
                String fill = Args.str(name, Args.or(a[1], " "));
                if (PyOps.len(fill) != 1) {
                    throw JinjaException.type("The fill character must be exactly one character long");
                }
                long pad = width - PyOps.len(s);
                if (pad <= 0) {
                    return s;
                }
                return switch (name) {
                    case "center" -> PyStr.center(s, width, fill);
                    case "ljust" -> s + PyStr.repeat(fill, pad);
                    default -> PyStr.repeat(fill, pad) + s;
                };
            }
            case "zfill": {
                long width = Args.intArg(name, Args.positional(name, args, kw, "width")[0]);
                long pad = width - PyOps.len(s);
                if (pad <= 0) {
                    return s;
                }
                boolean signed = !s.isEmpty() && (s.charAt(0) == '+' || s.charAt(0) == '-');
                return signed ? s.charAt(0) + PyStr.repeat("0", pad) + s.substring(1) : PyStr.repeat("0", pad) + s;
            }
            case "partition":
            case "rpartition": {
                String sep = Args.str(name, Args.positional(name, args, kw, "sep")[0]);
                if (sep.isEmpty()) {
                    throw JinjaException.value("empty separator");
                }
                int i = name.equals("partition") ? s.indexOf(sep) : s.lastIndexOf(sep);
                if (i < 0) {
                    return name.equals("partition") ? Tuple.of(s, "", "") : Tuple.of("", "", s);
                }
                return Tuple.of(s.substring(0, i), sep, s.substring(i + sep.length()));
            }
            case "isdigit":
            case "isdecimal":
            case "isnumeric":
            case "isalpha":
            case "isalnum":
            case "isspace":
            case "isascii":
            case "isprintable":
                Args.positional(name, args, kw);
                return classify(s, name);
            case "islower":
                Args.positional(name, args, kw);
                return PyStr.isLower(s);
            case "isupper":
                Args.positional(name, args, kw);
                return PyStr.isUpper(s);
            default:
                throw JinjaException.unsupported("the method str." + name + "()");
        }
    }

    private static boolean classify(String s, String name) {
        if (s.isEmpty()) {
            return name.equals("isascii") || name.equals("isprintable");
        }
        return s.codePoints().allMatch(c -> switch (name) {
            case "isdecimal" -> Character.getType(c) == Character.DECIMAL_DIGIT_NUMBER;
            case "isdigit" ->
                Character.getType(c) == Character.DECIMAL_DIGIT_NUMBER
                        || (Character.getType(c) == Character.OTHER_NUMBER
                                && Character.getNumericValue(c) >= 0
                                && Character.getNumericValue(c) <= 9);
            case "isnumeric" -> PyStr.isNumeric(c);
            case "isalpha" -> Character.isLetter(c);
            case "isalnum" -> Character.isLetter(c) || PyStr.isNumeric(c);
            case "isspace" -> PyStr.isSpace(c);
            case "isascii" -> c < 0x80;
            default -> PyStr.isPrintable(c);
        });
    }

    /** s[start:end] for the optional start/end of startswith & co; null if start is past the end. */
    private static String window(String s, Object start, Object end) {
        if (start == Py.MISSING && end == Py.MISSING) {
            return s;
        }
        int n = (int) PyOps.len(s);
        long st = start == Py.MISSING || start == null ? 0 : Args.intArg("slice", start);
        if (st < 0) {
            st = Math.max(0, st + n);
        }
        if (st > n) {
            return null;
        }
        List<Object> cps = Attrs.sliceList(PyStr.chars(s), st, Args.or(end, null), null);
        return String.join("", cps.stream().map(o -> (String) o).toList());
    }

    private static Object search(String s, String name, List<Object> args, Map<String, Object> kw) {
        Object[] a = Args.positional(name, args, kw, "sub", "start?", "end?");
        String sub = Args.str(name, a[0]);
        int n = (int) PyOps.len(s);
        long st = a[1] == Py.MISSING || a[1] == null ? 0 : Args.intArg(name, a[1]);
        long en = a[2] == Py.MISSING || a[2] == null ? n : Args.intArg(name, a[2]);
        st = st < 0 ? Math.max(0, st + n) : st;
        en = en < 0 ? Math.max(0, en + n) : Math.min(en, n);
        if (st > n || (st > en)) {
            if (name.equals("count")) {
                return 0L;
            }
            if (name.equals("index") || name.equals("rindex")) {
                throw JinjaException.value("substring not found");
            }
            return -1L;
        }
        String window = s.substring(PyStr.utf16Offset(s, st), PyStr.utf16Offset(s, en));
        if (name.equals("count")) {
            if (sub.isEmpty()) {
                return PyOps.len(window) + 1;
            }
            long count = 0;
            for (int i = window.indexOf(sub); i >= 0; i = window.indexOf(sub, i + sub.length())) {
                count++;
            }
            return count;
        }
        int i = name.startsWith("r") ? window.lastIndexOf(sub) : window.indexOf(sub);
        if (i < 0) {
            if (name.endsWith("index")) {
                throw JinjaException.value("substring not found");
            }
            return -1L;
        }
        return st + PyStr.cpIndex(window, i);
    }
}
