package dev.revise.policies.tokenizer.jinja;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Jinja template rendered exactly as transformers' {@code apply_chat_template} renders chat
 * templates: jinja2's {@code ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)}
 * with the loop-controls extension, the {@code generation} tag, transformers' {@code tojson}, and
 * the {@code raise_exception} and {@code strftime_now} globals.
 *
 * <p>Values are Python's: context values may be {@link String}, {@link Boolean}, any integral
 * {@link Number} (an int), {@link Double} or {@link Float} (a float), {@link List}, {@link Map} with
 * string keys, and {@code null} (None); a key absent from the context is Undefined. Output follows
 * Python's {@code str()}: {@code True}, {@code None}, {@code 1.0}, {@code ['a', 1]}.
 *
 * <p>Where jinja2 has a feature this engine does not implement, rendering (or parsing) fails with a
 * {@link JinjaException} of kind {@link JinjaException.Kind#Unsupported} naming it, rather than
 * rendering something different. A parsed template is immutable and may be rendered concurrently.
 */
public final class JinjaTemplate {
    private final List<Node.Stmt> body;

    private JinjaTemplate(List<Node.Stmt> body) {
        this.body = body;
    }

    /**
     * Parses {@code source}.
     *
     * @throws JinjaException a TemplateSyntaxError (or TemplateAssertionError for an unknown filter
     *     or test) whose message starts with the template line
     */
    public static JinjaTemplate parse(String source) {
        Objects.requireNonNull(source, "source");
        return new JinjaTemplate(List.copyOf(Parser.parse(source)));
    }

    /** Renders with {@code strftime_now} reading the system clock in the default time zone. */
    public String render(Map<String, ?> context) {
        return render(context, Clock.systemDefaultZone());
    }

    /**
     * Renders with {@code context} as the template's variables.
     *
     * @param clock what {@code strftime_now} reads, as a naive local time in the clock's zone
     * @throws JinjaException if the template raises (see {@link JinjaException#raisedMessage()}),
     *     misuses a value as jinja2 would refuse it, or needs an unsupported feature
     * @throws IllegalArgumentException if a context value is of a type with no Python counterpart
     */
    public String render(Map<String, ?> context, Clock clock) {
        Map<String, Object> converted = new LinkedHashMap<>();
        context.forEach((k, v) -> converted.put(k, toPython(v, k)));
        return new Interpreter(converted, clock).render(body);
    }

    /** Copies a caller's value into the engine's representation (ints as Long, floats as Double). */
    private static Object toPython(Object v, String path) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Double) {
            return v;
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof java.math.BigInteger b) {
            if (b.bitLength() >= 64) {
                throw new IllegalArgumentException(path + ": integer beyond 64 bits is not supported");
            }
            return b.longValue();
        }
        if (v instanceof Float f) {
            return f.doubleValue();
        }
        if (v instanceof java.math.BigDecimal d) {
            return d.doubleValue();
        }
        if (v instanceof Character c) {
            return c.toString();
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (int i = 0; i < l.size(); i++) {
                out.add(toPython(l.get(i), path + "[" + i + "]"));
            }
            return out;
        }
        if (v instanceof Map<?, ?> m) {
            LinkedHashMap<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, val) -> {
                Object key = toPython(k, path + " key");
                if (key instanceof List || key instanceof Map) {
                    throw new IllegalArgumentException(path + ": a dict key must be a str, number, bool or null");
                }
                out.put(key, toPython(val, path + "." + k));
            });
            return out;
        }
        throw new IllegalArgumentException(
                path + ": values of type " + v.getClass().getName()
                        + " have no Python counterpart; use String, Boolean, a Number, List, Map or null");
    }
}
