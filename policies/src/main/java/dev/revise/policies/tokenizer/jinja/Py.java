package dev.revise.policies.tokenizer.jinja;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The Python value types a template can hold besides the plain Java ones. Python {@code None} is
 * Java {@code null}, {@code bool} is {@link Boolean}, {@code int} is {@link Long}, {@code float} is
 * {@link Double}, {@code str} is {@link String}, {@code list} is {@link List} and {@code dict} is a
 * {@link LinkedHashMap} (insertion order, as Python's).
 */
final class Py {
    private Py() {}

    /** Marks an argument not passed (jinja2's {@code missing}), distinct from {@code None}. */
    static final Object MISSING = new Object() {
        @Override
        public String toString() {
            return "missing";
        }
    };

    /** A Python tuple: immutable, prints with parentheses, never equal to a list. */
    record Tuple(List<Object> items) {
        static Tuple of(Object... items) {
            return new Tuple(List.of(items));
        }
    }

    /** markupsafe's {@code Markup}, as returned by {@code |safe}: a str that escapes what it is mixed with. */
    record Markup(String text) {}

    /** jinja2's default {@code Undefined}: printable and falsy, but any other use fails. */
    static final class Undefined {
        private final String hint;
        private final Object obj;
        private final Object name;
        private final boolean security;

        private Undefined(String hint, Object obj, Object name, boolean security) {
            this.hint = hint;
            this.obj = obj;
            this.name = name;
            this.security = security;
        }

        static Undefined named(String name) {
            return new Undefined(null, MISSING, name, false);
        }

        static Undefined withHint(String hint) {
            return new Undefined(hint, MISSING, null, false);
        }

        static Undefined missingOn(Object obj, Object name) {
            return new Undefined(null, obj, name, false);
        }

        /** The sandbox's answer for a mutating method such as {@code list.append}. */
        static Undefined unsafe(Object obj, String attribute) {
            String hint = "access to attribute '" + attribute + "' of '" + PyOps.typeName(obj) + "' object is unsafe.";
            return new Undefined(hint, obj, attribute, true);
        }

        String message() {
            if (hint != null) {
                return hint;
            }
            if (obj == MISSING) {
                return PyOps.repr(name) + " is undefined";
            }
            if (!(name instanceof String)) {
                return PyOps.objectTypeRepr(obj) + " has no element " + PyOps.repr(name);
            }
            return PyOps.repr(PyOps.objectTypeRepr(obj)) + " has no attribute " + PyOps.repr(name);
        }

        JinjaException fail() {
            return new JinjaException(
                    security ? JinjaException.Kind.SecurityError : JinjaException.Kind.UndefinedError, message());
        }
    }

    /** jinja2's {@code namespace(...)}: the one object a template may assign attributes on. */
    static final class Namespace {
        final LinkedHashMap<String, Object> attrs;

        Namespace(LinkedHashMap<String, Object> attrs) {
            this.attrs = attrs;
        }
    }

    /** Anything a template can call: globals, bound methods, macros. */
    interface Callable {
        Object call(List<Object> args, Map<String, Object> kwargs);

        /** Python's {@code type(x).__name__}, for error messages. */
        String typeName();
    }

    /** A global function such as {@code range} or {@code raise_exception}. */
    record Builtin(String name, Body body) implements Callable {
        interface Body {
            Object call(List<Object> args, Map<String, Object> kwargs);
        }

        @Override
        public Object call(List<Object> args, Map<String, Object> kwargs) {
            return body.call(args, kwargs);
        }

        @Override
        public String typeName() {
            return "builtin_function_or_method";
        }
    }

    /** {@code value.method} before it is called, as Python binds it. */
    record BoundMethod(Object self, String name) implements Callable {
        @Override
        public Object call(List<Object> args, Map<String, Object> kwargs) {
            return Methods.call(self, name, args, kwargs);
        }

        @Override
        public String typeName() {
            return "builtin_function_or_method";
        }
    }

    /**
     * A one-shot Python iterator (what {@code |select}, {@code |map}, {@code |reverse}... return):
     * always truthy, no length, not printable, and empty once consumed.
     */
    static final class Iter implements Iterator<Object> {
        private final Iterator<Object> it;
        private final String typeName;

        Iter(Iterator<Object> it, String typeName) {
            this.it = it;
            this.typeName = typeName;
        }

        String typeName() {
            return typeName;
        }

        @Override
        public boolean hasNext() {
            return it.hasNext();
        }

        @Override
        public Object next() {
            return it.next();
        }
    }

    /** {@code dict.keys()}, {@code .values()} or {@code .items()}: a live, sized view of the dict. */
    record DictView(Map<Object, Object> map, View view) {
        enum View {
            keys,
            values,
            items
        }

        List<Object> elements() {
            List<Object> out = new ArrayList<>(map.size());
            for (Map.Entry<Object, Object> e : map.entrySet()) {
                out.add(
                        switch (view) {
                            case keys -> e.getKey();
                            case values -> e.getValue();
                            case items -> Tuple.of(e.getKey(), e.getValue());
                        });
            }
            return out;
        }

        String typeName() {
            return "dict_" + view;
        }
    }

    /** Python's {@code range} object. */
    record Range(long start, long stop, long step) {
        long length() {
            if (step > 0 && start < stop) {
                return (stop - start - 1) / step + 1;
            }
            if (step < 0 && start > stop) {
                return (start - stop - 1) / (-step) + 1;
            }
            return 0;
        }

        long get(long i) {
            return start + i * step;
        }

        List<Object> elements() {
            long n = length();
            List<Object> out = new ArrayList<>((int) n);
            for (long i = 0; i < n; i++) {
                out.add(get(i));
            }
            return out;
        }
    }

    /** jinja2's {@code cycler(...)} global. */
    static final class Cycler {
        final List<Object> items;
        int pos;

        Cycler(List<Object> items) {
            this.items = items;
        }
    }

    /** jinja2's {@code joiner(sep)} global: "" on the first call, then sep. */
    static final class Joiner implements Callable {
        private final String sep;
        private boolean used;

        Joiner(String sep) {
            this.sep = sep;
        }

        @Override
        public Object call(List<Object> args, Map<String, Object> kwargs) {
            if (!used) {
                used = true;
                return "";
            }
            return sep;
        }

        @Override
        public String typeName() {
            return "Joiner";
        }
    }

    /** A template macro (or a call block's {@code caller}): returns its rendered body. */
    record Macro(String name, Builtin.Body body) implements Callable {
        @Override
        public Object call(List<Object> args, Map<String, Object> kwargs) {
            return body.call(args, kwargs);
        }

        @Override
        public String typeName() {
            return "Macro";
        }
    }

    /** The {@code loop} variable of a for loop over an already materialized sequence. */
    static final class LoopContext {
        final List<Object> items;
        int index0 = -1;
        Object lastChanged = MISSING;

        LoopContext(List<Object> items) {
            this.items = items;
        }

        int length() {
            return items.size();
        }
    }

    static boolean isInt(Object v) {
        return v instanceof Long || v instanceof Boolean;
    }

    /** Python's int() of an int or bool. */
    static long asLong(Object v) {
        if (v instanceof Boolean b) {
            return b ? 1 : 0;
        }
        return (Long) v;
    }

    static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof Boolean || v instanceof Double;
    }

    static double asDouble(Object v) {
        return v instanceof Double d ? d : (double) asLong(v);
    }

    static boolean isStr(Object v) {
        return v instanceof String || v instanceof Markup;
    }

    static String strText(Object v) {
        return v instanceof Markup m ? m.text() : (String) v;
    }

    static boolean sameKey(Object a, Object b) {
        return Objects.equals(a, b) || PyOps.eq(a, b);
    }
}
