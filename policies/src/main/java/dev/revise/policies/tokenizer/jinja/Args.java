package dev.revise.policies.tokenizer.jinja;

import java.util.List;
import java.util.Map;

/**
 * Binds positional and keyword arguments to a Python-style parameter list. A parameter named
 * {@code "x?"} is optional (unbound ones come back as {@link Py#MISSING}); the rest are required.
 */
final class Args {
    private Args() {}

    static Object[] bind(String fn, List<Object> args, Map<String, Object> kwargs, String... params) {
        return bind(fn, true, args, kwargs, params);
    }

    /** As {@link #bind(String, List, Map, String...)}, refusing keywords for positional-only builtins. */
    static Object[] positional(String fn, List<Object> args, Map<String, Object> kwargs, String... params) {
        return bind(fn, false, args, kwargs, params);
    }

    private static Object[] bind(
            String fn, boolean keywords, List<Object> args, Map<String, Object> kwargs, String... params) {
        if (args.size() > params.length) {
            throw JinjaException.type(
                    fn + "() takes at most " + params.length + " argument(s) (" + args.size() + " given)");
        }
        if (!keywords && !kwargs.isEmpty()) {
            throw JinjaException.type(fn + "() takes no keyword arguments");
        }
        Object[] out = new Object[params.length];
        int matched = 0;
        for (int i = 0; i < params.length; i++) {
            String p = params[i];
            boolean optional = p.endsWith("?");
            String name = optional ? p.substring(0, p.length() - 1) : p;
            if (i < args.size()) {
                if (kwargs.containsKey(name)) {
                    throw JinjaException.type(fn + "() got multiple values for argument '" + name + "'");
                }
                out[i] = args.get(i);
            } else if (kwargs.containsKey(name)) {
                out[i] = kwargs.get(name);
                matched++;
            } else if (optional) {
                out[i] = Py.MISSING;
            } else {
                throw JinjaException.type(fn + "() missing required argument '" + name + "'");
            }
        }
        if (matched != kwargs.size()) {
            for (String k : kwargs.keySet()) {
                boolean known = false;
                for (String p : params) {
                    known |= p.equals(k) || p.equals(k + "?");
                }
                if (!known) {
                    throw JinjaException.type(fn + "() got an unexpected keyword argument '" + k + "'");
                }
            }
        }
        return out;
    }

    static Object or(Object v, Object dflt) {
        return v == Py.MISSING ? dflt : v;
    }

    static long intArg(String fn, Object v) {
        if (!Py.isInt(v)) {
            throw JinjaException.type(fn + ": '" + PyOps.typeName(v) + "' object cannot be interpreted as an integer");
        }
        return Py.asLong(v);
    }

    /** An optional str-or-None argument (e.g. strip's chars); MISSING and None both mean "absent". */
    static String optStr(String fn, Object v) {
        if (v == Py.MISSING || v == null) {
            return null;
        }
        if (!Py.isStr(v)) {
            throw JinjaException.type(fn + " arg must be None or str");
        }
        return Py.strText(v);
    }

    static String str(String fn, Object v) {
        if (!Py.isStr(v)) {
            throw JinjaException.type(fn + "() argument must be str, not " + PyOps.typeName(v));
        }
        return Py.strText(v);
    }
}
