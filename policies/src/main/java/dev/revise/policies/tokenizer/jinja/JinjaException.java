package dev.revise.policies.tokenizer.jinja;

import java.util.Optional;

/**
 * A template failed to parse or render. The message starts with the template line ({@code "line
 * 3: ..."}) when it is known; {@link #kind()} names the Python exception jinja2 would have raised,
 * so callers (and the golden tests) can tell a template's own {@code raise_exception} from an engine
 * limitation.
 */
public final class JinjaException extends RuntimeException {
    /** The jinja2/Python exception class this error corresponds to. */
    public enum Kind {
        TemplateSyntaxError,
        TemplateAssertionError,
        TemplateRuntimeError,
        /** {@code raise_exception(message)} called by the template itself. */
        TemplateError,
        UndefinedError,
        SecurityError,
        FilterArgumentError,
        TypeError,
        AttributeError,
        ValueError,
        IndexError,
        KeyError,
        ZeroDivisionError,
        OverflowError,
        /** Python's RecursionError: a macro calling itself without end, or a template nested too deeply. */
        RecursionError,
        /** A jinja2 feature this engine deliberately does not implement. */
        Unsupported
    }

    private final Kind kind;
    private final String detail;
    private final int line;

    JinjaException(Kind kind, String detail) {
        this(kind, detail, -1, null);
    }

    JinjaException(Kind kind, String detail, int line) {
        this(kind, detail, line, null);
    }

    private JinjaException(Kind kind, String detail, int line, Throwable cause) {
        super(line > 0 ? "line " + line + ": " + detail : detail, cause);
        this.kind = kind;
        this.detail = detail;
        this.line = line;
    }

    static JinjaException unsupported(String what) {
        return new JinjaException(Kind.Unsupported, what + " is not supported by this Jinja engine");
    }

    static JinjaException type(String detail) {
        return new JinjaException(Kind.TypeError, detail);
    }

    static JinjaException value(String detail) {
        return new JinjaException(Kind.ValueError, detail);
    }

    /** The same error, located at {@code templateLine} unless it already had a line. */
    JinjaException atLine(int templateLine) {
        if (line > 0 || templateLine <= 0) {
            return this;
        }
        return new JinjaException(kind, detail, templateLine, getCause());
    }

    public Kind kind() {
        return kind;
    }

    /** The 1-based template line the error was raised at, or -1 if unknown. */
    public int line() {
        return line;
    }

    /** The message without the line prefix, worded as jinja2's where the two engines agree. */
    public String detail() {
        return detail;
    }

    /** The template's own message, if it failed by calling {@code raise_exception(message)}. */
    public Optional<String> raisedMessage() {
        return kind == Kind.TemplateError ? Optional.of(detail) : Optional.empty();
    }
}
