package dev.revise.policies.tokenizer.jinja;

import dev.revise.policies.tokenizer.jinja.Lexer.Token;
import dev.revise.policies.tokenizer.jinja.Lexer.Type;
import dev.revise.policies.tokenizer.jinja.Node.CallArgs;
import dev.revise.policies.tokenizer.jinja.Node.Expr;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * jinja2's expression grammar (parser.py parse_expression and below), with its precedence quirks:
 * filters bind tighter than arithmetic ({@code x|length - 1}), unary minus binds tighter than
 * {@code **}, and {@code **} is left-associative.
 */
class ExprParser {
    protected final List<Token> toks;
    protected int p;
    /** Inside an if or conditional expression, where jinja2 defers unknown filters to runtime. */
    protected boolean soft;
    /**
     * jinja2 rejects unknown filters and tests when it compiles the parsed template, so any syntax
     * error anywhere wins over them; the first one is kept here until parsing has finished.
     */
    protected JinjaException deferred;
    /** Names read in each enclosing macro body, to know if it uses caller/varargs/kwargs. */
    protected final Deque<Set<String>> macroNames = new ArrayDeque<>();

    /**
     * Nesting deeper than this (brackets, unary operators, blocks) is refused as jinja2's recursive
     * parser would fail on it (Python's recursion limit; CPython's own parser stops at 200 nested
     * parentheses), before the JVM's stack runs out.
     */
    static final int MAX_NESTING = 200;
    /** Longer chains of filters, tests, calls and subscripts on one value are refused likewise. */
    static final int MAX_CHAIN = 1000;

    private int nesting;

    ExprParser(List<Token> toks) {
        this.toks = toks;
    }

    /** Enters one level of nesting; every call is paired with {@link #leave()}. */
    protected void enter() {
        if (++nesting > MAX_NESTING) {
            nesting = 0; // the error ends parsing
            throw new JinjaException(
                    JinjaException.Kind.RecursionError,
                    "maximum recursion depth exceeded: the template nests more than " + MAX_NESTING + " levels deep",
                    cur().line());
        }
    }

    protected void leave() {
        nesting--;
    }

    private void checkChain(int length) {
        if (length > MAX_CHAIN) {
            throw new JinjaException(
                    JinjaException.Kind.RecursionError,
                    "maximum recursion depth exceeded: more than " + MAX_CHAIN + " filters, tests, calls or subscripts"
                            + " in a row",
                    cur().line());
        }
    }

    protected Token cur() {
        return checked(toks.get(p));
    }

    protected Token look() {
        return checked(toks.get(Math.min(p + 1, toks.size() - 1)));
    }

    protected Token next() {
        Token t = cur();
        if (t.type() != Type.EOF) {
            p++;
            cur();
        }
        return t;
    }

    private static Token checked(Token t) {
        if (t.type() == Type.ERROR) {
            throw (JinjaException) t.value();
        }
        return t;
    }

    protected void defer(JinjaException e) {
        if (deferred == null) {
            deferred = e;
        }
    }

    protected JinjaException fail(String msg, int line) {
        return new JinjaException(JinjaException.Kind.TemplateSyntaxError, msg, line);
    }

    protected static String describe(Token t) {
        return switch (t.type()) {
            case NAME, OP -> t.text();
            case EOF -> "end of template";
            case BLOCK_BEGIN -> "begin of statement block";
            case BLOCK_END -> "end of statement block";
            case VAR_BEGIN -> "begin of print statement";
            case VAR_END -> "end of print statement";
            case DATA -> "template data / text";
            case STRING -> "string";
            case INTEGER -> "integer";
            case FLOAT -> "float";
            case ERROR -> "error";
        };
    }

    protected Token expect(Type type, String text, String description) {
        Token t = cur();
        if (t.type() != type || (text != null && !t.text().equals(text))) {
            if (t.type() == Type.EOF) {
                throw fail("unexpected end of template, expected '" + description + "'.", t.line());
            }
            throw fail("expected token '" + description + "', got '" + describe(t) + "'", t.line());
        }
        return next();
    }

    protected Token expectOp(String op) {
        return expect(Type.OP, op, op);
    }

    protected Token expectName() {
        return expect(Type.NAME, null, "name");
    }

    protected boolean skipOp(String op) {
        if (cur().isOp(op)) {
            next();
            return true;
        }
        return false;
    }

    protected boolean skipName(String name) {
        if (cur().isName(name)) {
            next();
            return true;
        }
        return false;
    }

    Expr expression() {
        return condExpr();
    }

    private Expr condExpr() {
        int line = cur().line();
        Expr expr1 = or();
        while (skipName("if")) {
            boolean wasSoft = soft;
            soft = true;
            Expr test = or();
            Expr orElse = skipName("else") ? condExpr() : null;
            soft = wasSoft;
            expr1 = new Node.CondExpr(test, expr1, orElse, line);
            line = cur().line();
        }
        return expr1;
    }

    Expr or() {
        int line = cur().line();
        Expr left = and();
        while (skipName("or")) {
            left = new Node.Or(left, and(), line);
            line = cur().line();
        }
        return left;
    }

    private Expr and() {
        int line = cur().line();
        Expr left = not();
        while (skipName("and")) {
            left = new Node.And(left, not(), line);
            line = cur().line();
        }
        return left;
    }

    private Expr not() {
        if (cur().isName("not")) {
            int line = next().line();
            enter();
            try {
                return new Node.Unary("not", not(), line);
            } finally {
                leave();
            }
        }
        return compare();
    }

    private static final Set<String> COMPARE_OPS = Set.of("==", "!=", "<", "<=", ">", ">=");

    private Expr compare() {
        int line = cur().line();
        Expr first = math1();
        List<String> ops = new ArrayList<>();
        List<Expr> operands = new ArrayList<>();
        while (true) {
            Token t = cur();
            if (t.type() == Type.OP && COMPARE_OPS.contains(t.text())) {
                next();
                ops.add(
                        switch (t.text()) {
                            case "==" -> "eq";
                            case "!=" -> "ne";
                            case "<" -> "lt";
                            case "<=" -> "lteq";
                            case ">" -> "gt";
                            default -> "gteq";
                        });
            } else if (skipName("in")) {
                ops.add("in");
            } else if (t.isName("not") && look().isName("in")) {
                next();
                next();
                ops.add("notin");
            } else {
                break;
            }
            operands.add(math1());
            line = cur().line();
        }
        return ops.isEmpty() ? first : new Node.Compare(first, ops, operands, line);
    }

    private Expr math1() {
        int line = cur().line();
        Expr left = concat();
        while (cur().isOp("+") || cur().isOp("-")) {
            String op = next().text().equals("+") ? "add" : "sub";
            left = new Node.Binary(op, left, concat(), line);
            line = cur().line();
        }
        return left;
    }

    private Expr concat() {
        int line = cur().line();
        List<Expr> parts = new ArrayList<>();
        parts.add(math2());
        while (skipOp("~")) {
            parts.add(math2());
        }
        return parts.size() == 1 ? parts.get(0) : new Node.Concat(parts, line);
    }

    private Expr math2() {
        int line = cur().line();
        Expr left = pow();
        while (cur().isOp("*") || cur().isOp("/") || cur().isOp("//") || cur().isOp("%")) {
            String op =
                    switch (next().text()) {
                        case "*" -> "mul";
                        case "/" -> "div";
                        case "//" -> "floordiv";
                        default -> "mod";
                    };
            left = new Node.Binary(op, left, pow(), line);
            line = cur().line();
        }
        return left;
    }

    private Expr pow() {
        int line = cur().line();
        Expr left = unary(true);
        while (skipOp("**")) {
            left = new Node.Binary("pow", left, unary(true), line);
            line = cur().line();
        }
        return left;
    }

    private Expr unary(boolean withFilter) {
        enter();
        try {
            return unaryNested(withFilter);
        } finally {
            leave();
        }
    }

    private Expr unaryNested(boolean withFilter) {
        int line = cur().line();
        Expr node;
        if (skipOp("-")) {
            node = new Node.Unary("neg", unary(false), line);
        } else if (skipOp("+")) {
            node = new Node.Unary("pos", unary(false), line);
        } else {
            node = primary();
        }
        node = postfix(node);
        return withFilter ? filterExpr(node) : node;
    }

    protected Expr primary() {
        Token t = cur();
        switch (t.type()) {
            case NAME -> {
                next();
                switch (t.text()) {
                    case "true", "True":
                        return new Node.Const(true, t.line());
                    case "false", "False":
                        return new Node.Const(false, t.line());
                    case "none", "None":
                        return new Node.Const(null, t.line());
                    default:
                        for (Set<String> names : macroNames) {
                            names.add(t.text());
                        }
                        return new Node.Name(t.text(), t.line());
                }
            }
            case STRING -> {
                next();
                StringBuilder sb = new StringBuilder((String) t.value());
                while (cur().type() == Type.STRING) {
                    sb.append((String) next().value());
                }
                return new Node.Const(sb.toString(), t.line());
            }
            case INTEGER, FLOAT -> {
                next();
                return new Node.Const(t.value(), t.line());
            }
            case OP -> {
                if (t.text().equals("(")) {
                    next();
                    Expr e = tuple(false, true, null, true);
                    expectOp(")");
                    return e;
                }
                if (t.text().equals("[")) {
                    return list();
                }
                if (t.text().equals("{")) {
                    return dict();
                }
            }
            default -> {}
        }
        throw fail("unexpected '" + describe(t) + "'", t.line());
    }

    protected boolean isTupleEnd(Set<String> extraEndNames) {
        Token t = cur();
        if (t.type() == Type.VAR_END || t.type() == Type.BLOCK_END || t.isOp(")")) {
            return true;
        }
        return extraEndNames != null && t.type() == Type.NAME && extraEndNames.contains(t.text());
    }

    /** jinja2's parse_tuple: comma-separated expressions, a Tuple only if there is a comma. */
    Expr tuple(boolean simplified, boolean withCondExpr, Set<String> extraEnd, boolean explicitParens) {
        int line = cur().line();
        List<Expr> items = new ArrayList<>();
        boolean isTuple = false;
        while (true) {
            if (!items.isEmpty()) {
                expectOp(",");
            }
            if (isTupleEnd(extraEnd)) {
                break;
            }
            items.add(simplified ? primary() : withCondExpr ? expression() : or());
            if (cur().isOp(",")) {
                isTuple = true;
            } else {
                break;
            }
            line = cur().line();
        }
        if (!isTuple) {
            if (!items.isEmpty()) {
                return items.get(0);
            }
            if (!explicitParens) {
                throw fail("Expected an expression, got '" + describe(cur()) + "'", cur().line());
            }
        }
        return new Node.TupleExpr(items, line);
    }

    private Expr list() {
        int line = expectOp("[").line();
        List<Expr> items = new ArrayList<>();
        while (!cur().isOp("]")) {
            if (!items.isEmpty()) {
                expectOp(",");
            }
            if (cur().isOp("]")) {
                break;
            }
            items.add(expression());
        }
        expectOp("]");
        return new Node.ListExpr(items, line);
    }

    private Expr dict() {
        int line = expectOp("{").line();
        List<Expr> keys = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (!cur().isOp("}")) {
            if (!keys.isEmpty()) {
                expectOp(",");
            }
            if (cur().isOp("}")) {
                break;
            }
            keys.add(expression());
            expectOp(":");
            values.add(expression());
        }
        expectOp("}");
        return new Node.DictExpr(keys, values, line);
    }

    private Expr postfix(Expr node) {
        for (int n = 0; ; n++) {
            checkChain(n);
            if (cur().isOp(".") || cur().isOp("[")) {
                node = subscript(node);
            } else if (cur().isOp("(")) {
                int line = cur().line();
                node = new Node.Call(node, callArgs(), line);
            } else {
                return node;
            }
        }
    }

    private Expr filterExpr(Expr node) {
        for (int n = 0; ; n++) {
            checkChain(n);
            if (cur().isOp("|")) {
                node = filter(node, false);
            } else if (cur().isName("is")) {
                node = test(node);
            } else if (cur().isOp("(")) {
                int line = cur().line();
                node = new Node.Call(node, callArgs(), line);
            } else {
                return node;
            }
        }
    }

    private Expr subscript(Expr node) {
        Token t = next();
        if (t.isOp(".")) {
            Token attr = next();
            if (attr.type() == Type.NAME) {
                return new Node.GetAttr(node, attr.text(), t.line());
            }
            if (attr.type() != Type.INTEGER) {
                throw fail("expected name or number", attr.line());
            }
            return new Node.GetItem(node, new Node.Const(attr.value(), attr.line()), t.line());
        }
        List<Expr> args = new ArrayList<>();
        while (!cur().isOp("]")) {
            if (!args.isEmpty()) {
                expectOp(",");
            }
            args.add(subscribed());
        }
        expectOp("]");
        Expr key = args.size() == 1 ? args.get(0) : new Node.TupleExpr(args, t.line());
        return new Node.GetItem(node, key, t.line());
    }

    private Expr subscribed() {
        int line = cur().line();
        Expr start = null;
        if (cur().isOp(":")) {
            next();
        } else {
            Expr e = expression();
            if (!cur().isOp(":")) {
                return e;
            }
            next();
            start = e;
        }
        Expr stop = null;
        if (!cur().isOp(":") && !cur().isOp("]") && !cur().isOp(",")) {
            stop = expression();
        }
        Expr step = null;
        if (skipOp(":") && !cur().isOp("]") && !cur().isOp(",")) {
            step = expression();
        }
        return new Node.Slice(start, stop, step, line);
    }

    protected CallArgs callArgs() {
        Token open = expectOp("(");
        List<Expr> args = new ArrayList<>();
        List<String> kwNames = new ArrayList<>();
        List<Expr> kwValues = new ArrayList<>();
        Expr dynArgs = null;
        Expr dynKwargs = null;
        boolean requireComma = false;
        while (!cur().isOp(")")) {
            if (requireComma) {
                expectOp(",");
                if (cur().isOp(")")) {
                    break;
                }
            }
            if (skipOp("*")) {
                ensure(dynArgs == null && dynKwargs == null, open);
                dynArgs = expression();
            } else if (skipOp("**")) {
                ensure(dynKwargs == null, open);
                dynKwargs = expression();
            } else if (cur().type() == Type.NAME && look().isOp("=")) {
                ensure(dynKwargs == null, open);
                kwNames.add(next().text());
                next();
                kwValues.add(expression());
            } else {
                ensure(dynArgs == null && dynKwargs == null && kwNames.isEmpty(), open);
                args.add(expression());
            }
            requireComma = true;
        }
        expectOp(")");
        return new CallArgs(args, kwNames, kwValues, dynArgs, dynKwargs);
    }

    private void ensure(boolean ok, Token open) {
        if (!ok) {
            throw fail("invalid syntax for function call expression", open.line());
        }
    }

    private String dottedName() {
        StringBuilder name = new StringBuilder(expectName().text());
        while (skipOp(".")) {
            name.append('.').append(expectName().text());
        }
        return name.toString();
    }

    /** One or more {@code |name(args)}; with {@code startInline} the first pipe is implied. */
    Expr filter(Expr node, boolean startInline) {
        while (cur().isOp("|") || startInline) {
            if (!startInline) {
                next();
            }
            int line = cur().line();
            String name = dottedName();
            CallArgs args = cur().isOp("(") ? callArgs() : CallArgs.NONE;
            boolean known = Filters.NAMES.contains(name);
            if (!known && !soft) {
                defer(new JinjaException(
                        JinjaException.Kind.TemplateAssertionError, "No filter named '" + name + "'.", line));
            }
            node = new Node.Filter(node, name, args, known, line);
            startInline = false;
        }
        return node;
    }

    private static final Set<String> TEST_ARG_START = new HashSet<>(List.of("(", "[", "{"));

    private Expr test(Expr node) {
        int line = next().line();
        boolean negated = skipName("not");
        String name = dottedName();
        CallArgs args = CallArgs.NONE;
        Token t = cur();
        if (t.isOp("(")) {
            args = callArgs();
        } else if ((t.type() == Type.NAME
                        || t.type() == Type.STRING
                        || t.type() == Type.INTEGER
                        || t.type() == Type.FLOAT
                        || (t.type() == Type.OP && TEST_ARG_START.contains(t.text())))
                && !t.isName("else")
                && !t.isName("or")
                && !t.isName("and")) {
            if (t.isName("is")) {
                throw fail("You cannot chain multiple tests with is", t.line());
            }
            args = new CallArgs(List.of(postfix(primary())), List.of(), List.of(), null, null);
        }
        boolean known = TestFns.NAMES.contains(name);
        if (!known && !soft) {
            defer(new JinjaException(
                    JinjaException.Kind.TemplateAssertionError, "No test named '" + name + "'.", line));
        }
        Expr test = new Node.Test(node, name, args, known, line);
        return negated ? new Node.Unary("not", test, line) : test;
    }
}
