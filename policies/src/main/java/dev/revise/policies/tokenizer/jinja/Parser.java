package dev.revise.policies.tokenizer.jinja;

import dev.revise.policies.tokenizer.jinja.Lexer.Token;
import dev.revise.policies.tokenizer.jinja.Lexer.Type;
import dev.revise.policies.tokenizer.jinja.Node.Expr;
import dev.revise.policies.tokenizer.jinja.Node.Stmt;
import dev.revise.policies.tokenizer.jinja.Node.Target;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** jinja2's statement parser (parser.py subparse and the parse_* tag methods). */
final class Parser extends ExprParser {
    /** Tags jinja2 has that this engine refuses (they need other templates or block inheritance). */
    private static final Set<String> UNSUPPORTED_TAGS =
            Set.of("block", "extends", "include", "import", "from", "autoescape");

    private final Deque<List<String>> endTokenStack = new ArrayDeque<>();
    private final Deque<String> tagStack = new ArrayDeque<>();
    private int loopDepth;
    /** Python's compiler rejects a misplaced break only after jinja2 generated all the code. */
    private JinjaException misplacedLoopControl;

    private Parser(List<Token> toks) {
        super(toks);
    }

    static List<Stmt> parse(String source) {
        Parser parser = new Parser(Lexer.tokenize(source));
        List<Stmt> body;
        try {
            body = parser.subparse(null);
        } catch (StackOverflowError e) {
            // as CPython's parser gives up on too deep nesting (jinja2 parses recursively too)
            throw new JinjaException(
                    JinjaException.Kind.RecursionError,
                    "maximum recursion depth exceeded: the template nests too deeply",
                    parser.cur().line());
        }
        if (parser.deferred != null) {
            throw parser.deferred;
        }
        if (parser.misplacedLoopControl != null) {
            throw parser.misplacedLoopControl;
        }
        return body;
    }

    private List<Stmt> subparse(List<String> endTokens) {
        enter();
        try {
            return subparseNested(endTokens);
        } finally {
            leave();
        }
    }

    private List<Stmt> subparseNested(List<String> endTokens) {
        List<Stmt> body = new ArrayList<>();
        if (endTokens != null) {
            endTokenStack.push(endTokens);
        }
        try {
            while (cur().type() != Type.EOF) {
                Token t = cur();
                switch (t.type()) {
                    case DATA -> {
                        next();
                        body.add(new Node.Text((String) t.value(), t.line()));
                    }
                    case VAR_BEGIN -> {
                        next();
                        body.add(new Node.Print(tuple(false, true, null, false), t.line()));
                        expect(Type.VAR_END, null, "end of print statement");
                    }
                    case BLOCK_BEGIN -> {
                        next();
                        if (endTokens != null && cur().type() == Type.NAME && endTokens.contains(cur().text())) {
                            return body;
                        }
                        body.addAll(statement());
                        expect(Type.BLOCK_END, null, "end of statement block");
                    }
                    default -> throw fail("unexpected '" + describe(t) + "'", t.line());
                }
            }
            return body;
        } finally {
            if (endTokens != null) {
                endTokenStack.pop();
            }
        }
    }

    private List<Stmt> statements(List<String> endTokens, boolean dropNeedle) {
        skipOp(":");
        expect(Type.BLOCK_END, null, "end of statement block");
        List<Stmt> body = subparse(endTokens);
        if (cur().type() == Type.EOF) {
            throw failUnknownTag(null, endTokens, cur().line());
        }
        if (dropNeedle) {
            next();
        }
        return body;
    }

    private JinjaException failUnknownTag(String name, List<String> extra, int line) {
        List<List<String>> stack = new ArrayList<>(endTokenStack);
        java.util.Collections.reverse(stack);
        if (extra != null) {
            stack.add(extra);
        }
        StringBuilder msg = new StringBuilder(
                name == null ? "Unexpected end of template." : "Encountered unknown tag '" + name + "'.");
        if (!stack.isEmpty()) {
            Set<String> expected = new HashSet<>();
            stack.forEach(expected::addAll);
            String looking = String.join(
                    " or ",
                    stack.get(stack.size() - 1).stream().map(s -> "'" + s + "'").toList());
            if (name != null && expected.contains(name)) {
                msg.append(" You probably made a nesting mistake. Jinja is expecting this tag, but currently"
                                + " looking for ")
                        .append(looking)
                        .append('.');
            } else {
                msg.append(" Jinja was looking for the following tags: ")
                        .append(looking)
                        .append('.');
            }
        }
        if (!tagStack.isEmpty()) {
            msg.append(" The innermost block that needs to be closed is '")
                    .append(tagStack.peek())
                    .append("'.");
        }
        return fail(msg.toString(), line);
    }

    private List<Stmt> statement() {
        Token t = cur();
        if (t.type() != Type.NAME) {
            throw fail("tag name expected", t.line());
        }
        String tag = t.text();
        if (UNSUPPORTED_TAGS.contains(tag)) {
            throw new JinjaException(
                    JinjaException.Kind.Unsupported,
                    "the '" + tag + "' tag is not supported by this Jinja engine (a chat template is one"
                            + " self-contained template)",
                    t.line());
        }
        tagStack.push(tag);
        try {
            return switch (tag) {
                case "if" -> List.of(ifStmt());
                case "for" -> List.of(forStmt());
                case "set" -> List.of(setStmt());
                case "macro" -> List.of(macro());
                case "call" -> List.of(callBlock());
                case "filter" -> List.of(filterBlock());
                case "with" -> List.of(with());
                case "print" -> print();
                case "generation" -> List.of(generation());
                case "break", "continue" -> List.of(loopControl());
                default -> {
                    tagStack.pop();
                    throw failUnknownTag(tag, null, t.line());
                }
            };
        } finally {
            if (!tagStack.isEmpty() && tagStack.peek().equals(tag)) {
                tagStack.pop();
            }
        }
    }

    private Stmt ifStmt() {
        int line = next().line();
        List<Expr> tests = new ArrayList<>();
        List<List<Stmt>> bodies = new ArrayList<>();
        List<Stmt> orElse = List.of();
        boolean wasSoft = soft;
        soft = true;
        while (true) {
            tests.add(tuple(false, false, null, false));
            bodies.add(statements(List.of("elif", "else", "endif"), false));
            Token t = next();
            if (t.isName("elif")) {
                continue;
            }
            if (t.isName("else")) {
                orElse = statements(List.of("endif"), true);
            }
            break;
        }
        soft = wasSoft;
        return new Node.If(tests, bodies, orElse, line);
    }

    private Stmt forStmt() {
        int line = next().line();
        boolean wasSoft = soft;
        soft = false;
        Target target = assignTarget(Set.of("in"), false);
        expect(Type.NAME, "in", "in");
        Expr iter = tuple(false, false, Set.of("recursive"), false);
        Expr filter = skipName("if") ? expression() : null;
        if (cur().isName("recursive")) {
            throw new JinjaException(
                    JinjaException.Kind.Unsupported,
                    "recursive for loops are not supported by this Jinja engine",
                    cur().line());
        }
        loopDepth++;
        List<Stmt> body = statements(List.of("endfor", "else"), false);
        loopDepth--;
        List<Stmt> orElse = List.of();
        if (next().isName("else")) {
            orElse = statements(List.of("endfor"), true);
        }
        soft = wasSoft;
        return new Node.For(target, iter, filter, body, orElse, line);
    }

    private Stmt setStmt() {
        int line = next().line();
        Target target = assignTarget(null, true);
        if (skipOp("=")) {
            return new Node.Assign(target, tuple(false, true, null, false), line);
        }
        Expr filter = cur().isOp("|") ? filter(new Node.FilterInput(line), false) : null;
        return new Node.AssignBlock(target, filter, isolated(() -> statements(List.of("endset"), true)), line);
    }

    /** Parses a body that jinja2 compiles as its own function: loop controls and soft-ness stop at it. */
    private List<Stmt> isolated(java.util.function.Supplier<List<Stmt>> body) {
        int depth = loopDepth;
        boolean wasSoft = soft;
        loopDepth = 0;
        soft = false;
        try {
            return body.get();
        } finally {
            loopDepth = depth;
            soft = wasSoft;
        }
    }

    private Target assignTarget(Set<String> extraEnd, boolean withNamespace) {
        int line = cur().line();
        Target target = toTarget(
                withNamespace && cur().type() == Type.NAME && look().isOp(".")
                        ? nsRef()
                        : tuple(true, true, extraEnd, false),
                line);
        return target;
    }

    private Expr nsRef() {
        Token name = next();
        next();
        Token attr = expectName();
        return new Node.GetAttr(new Node.Name(name.text(), name.line()), attr.text(), name.line());
    }

    private Target toTarget(Expr e, int line) {
        if (e instanceof Node.Name n) {
            if (Set.of("true", "false", "none", "True", "False", "None").contains(n.name())) {
                throw fail("can't assign to 'const'", line);
            }
            return new Node.NameTarget(n.name());
        }
        if (e instanceof Node.GetAttr g && g.obj() instanceof Node.Name n) {
            return new Node.NsTarget(n.name(), g.name());
        }
        if (e instanceof Node.TupleExpr t) {
            List<Target> items = new ArrayList<>();
            for (Expr item : t.items()) {
                items.add(toTarget(item, line));
            }
            return new Node.TupleTarget(items);
        }
        throw fail("can't assign to '" + e.getClass().getSimpleName().toLowerCase() + "'", line);
    }

    private record Body(Node.Signature sig, List<Stmt> stmts) {}

    /** A macro or caller body, noting which of caller/varargs/kwargs it reads. */
    private Body macroBody(Node.Signature params, java.util.function.Supplier<List<Stmt>> bodyParser) {
        Set<String> used = new HashSet<>();
        macroNames.push(used);
        List<Stmt> stmts;
        try {
            stmts = isolated(bodyParser);
        } finally {
            macroNames.pop();
        }
        List<String> names = params.params();
        Node.Signature sig = new Node.Signature(
                names,
                params.defaults(),
                used.contains("caller") && !names.contains("caller"),
                used.contains("varargs") && !names.contains("varargs"),
                used.contains("kwargs") && !names.contains("kwargs"));
        return new Body(sig, stmts);
    }

    private Stmt macro() {
        int line = next().line();
        String name = expectName().text();
        Body body = macroBody(signature(), () -> statements(List.of("endmacro"), true));
        return new Node.MacroDef(name, body.sig(), body.stmts(), line);
    }

    private Stmt callBlock() {
        int line = next().line();
        Node.Signature params =
                cur().isOp("(") ? signature() : new Node.Signature(List.of(), List.of(), false, false, false);
        Expr call = expression();
        if (!(call instanceof Node.Call c)) {
            throw fail("expected call", line);
        }
        Body body = macroBody(params, () -> statements(List.of("endcall"), true));
        return new Node.CallBlock(body.sig(), c, body.stmts(), line);
    }

    private Node.Signature signature() {
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        expectOp("(");
        while (!cur().isOp(")")) {
            if (!params.isEmpty()) {
                expectOp(",");
            }
            String name = expectName().text();
            if (skipOp("=")) {
                defaults.add(expression());
            } else if (!defaults.isEmpty()) {
                throw fail("non-default argument follows default argument", cur().line());
            }
            params.add(name);
        }
        expectOp(")");
        return new Node.Signature(params, defaults, false, false, false);
    }

    private Stmt filterBlock() {
        int line = next().line();
        Expr filter = filter(new Node.FilterInput(line), true);
        return new Node.FilterBlock(filter, isolated(() -> statements(List.of("endfilter"), true)), line);
    }

    private Stmt with() {
        int line = next().line();
        List<Target> targets = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (cur().type() != Type.BLOCK_END) {
            if (!targets.isEmpty()) {
                expectOp(",");
            }
            targets.add(toTarget(primary(), cur().line()));
            expectOp("=");
            values.add(expression());
        }
        List<Stmt> body = statements(List.of("endwith"), true);
        return new Node.With(targets, values, body, line);
    }

    private List<Stmt> print() {
        int line = next().line();
        List<Stmt> out = new ArrayList<>();
        while (cur().type() != Type.BLOCK_END) {
            if (!out.isEmpty()) {
                expectOp(",");
            }
            out.add(new Node.Print(expression(), line));
        }
        return out;
    }

    private Stmt generation() {
        int line = next().line();
        return new Node.Scoped(isolated(() -> statements(List.of("endgeneration"), true)), line);
    }

    private Stmt loopControl() {
        Token t = next();
        if (loopDepth == 0 && misplacedLoopControl == null) {
            misplacedLoopControl = fail(
                    "'" + t.text()
                            + "' outside of a for loop (or inside a macro, call, set or filter block within one)",
                    t.line());
        }
        return t.text().equals("break") ? new Node.Break(t.line()) : new Node.Continue(t.line());
    }
}
