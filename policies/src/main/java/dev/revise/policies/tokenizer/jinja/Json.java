package dev.revise.policies.tokenizer.jinja;

import dev.revise.policies.tokenizer.jinja.Py.Markup;
import dev.revise.policies.tokenizer.jinja.Py.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps}, which transformers' {@code tojson} filter calls: {@code ", "} and
 * {@code ": "} separators by default, {@code ","} plus newline-indent when indenting, floats as
 * Python repr, no HTML escaping, and non-ASCII kept unless {@code ensure_ascii}.
 */
final class Json {
    private final boolean ensureAscii;
    private final String indent;
    private final String itemSep;
    private final String keySep;
    private final boolean sortKeys;

    private Json(boolean ensureAscii, String indent, String itemSep, String keySep, boolean sortKeys) {
        this.ensureAscii = ensureAscii;
        this.indent = indent;
        this.itemSep = itemSep;
        this.keySep = keySep;
        this.sortKeys = sortKeys;
    }

    /**
     * @param indent null, an int (spaces) or a str
     * @param separators null or a 2-sequence (item separator, key separator)
     */
    static String dumps(Object value, boolean ensureAscii, Object indent, Object separators, boolean sortKeys) {
        String ind = null;
        if (indent instanceof String s) {
            ind = s;
        } else if (Py.isInt(indent)) {
            ind = PyStr.repeat(" ", Py.asLong(indent));
        } else if (indent != null) {
            throw JinjaException.type("can't multiply sequence by non-int of type '" + PyOps.typeName(indent) + "'");
        }
        String item = ind == null ? ", " : ",";
        String key = ": ";
        if (separators != null) {
            List<Object> seps = PyOps.toList(separators);
            if (seps.size() != 2) {
                throw JinjaException.value("too many values to unpack (expected 2)");
            }
            item = PyOps.str(seps.get(0));
            key = PyOps.str(seps.get(1));
        }
        StringBuilder sb = new StringBuilder();
        new Json(ensureAscii, ind, item, key, sortKeys).write(sb, value, 0);
        return sb.toString();
    }

    private void newline(StringBuilder sb, int level) {
        sb.append('\n');
        for (int i = 0; i < level; i++) {
            sb.append(indent);
        }
    }

    private void write(StringBuilder sb, Object v, int level) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Boolean b) {
            sb.append(b ? "true" : "false");
        } else if (v instanceof Long l) {
            sb.append(l);
        } else if (v instanceof Double d) {
            sb.append(floatStr(d));
        } else if (v instanceof String || v instanceof Markup) {
            string(sb, Py.strText(v));
        } else if (v instanceof List<?> || v instanceof Tuple) {
            List<?> items = v instanceof Tuple t ? t.items() : (List<?>) v;
            if (items.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append('[');
            for (int i = 0; i < items.size(); i++) {
                sb.append(i == 0 ? "" : itemSep);
                if (indent != null) {
                    newline(sb, level + 1);
                }
                write(sb, items.get(i), level + 1);
            }
            if (indent != null) {
                newline(sb, level);
            }
            sb.append(']');
        } else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                sb.append("{}");
                return;
            }
            List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
            if (sortKeys) {
                entries.sort((a, b) -> PyOps.order(a.getKey(), b.getKey(), "<"));
            }
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : entries) {
                sb.append(first ? "" : itemSep);
                first = false;
                if (indent != null) {
                    newline(sb, level + 1);
                }
                string(sb, key(e.getKey()));
                sb.append(keySep);
                write(sb, e.getValue(), level + 1);
            }
            if (indent != null) {
                newline(sb, level);
            }
            sb.append('}');
        } else {
            throw JinjaException.type("Object of type " + PyOps.typeName(v) + " is not JSON serializable");
        }
    }

    private static String key(Object k) {
        if (k instanceof String || k instanceof Markup) {
            return Py.strText(k);
        }
        if (k instanceof Double d) {
            return floatStr(d);
        }
        if (k instanceof Boolean b) {
            return b ? "true" : "false";
        }
        if (k == null) {
            return "null";
        }
        if (k instanceof Long l) {
            return l.toString();
        }
        throw JinjaException.type("keys must be str, int, float, bool or None, not " + PyOps.typeName(k));
    }

    private static String floatStr(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        return PyFloat.repr(d);
    }

    private void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || (ensureAscii && c > 0x7e)) {
                        // Java chars are UTF-16 units, so astral code points come out as the
                        // surrogate pair Python writes.
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
