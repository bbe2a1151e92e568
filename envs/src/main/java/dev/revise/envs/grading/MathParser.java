package dev.revise.envs.grading;

import dev.revise.envs.grading.MathExpr.Add;
import dev.revise.envs.grading.MathExpr.Answers;
import dev.revise.envs.grading.MathExpr.Bracketed;
import dev.revise.envs.grading.MathExpr.Const;
import dev.revise.envs.grading.MathExpr.Div;
import dev.revise.envs.grading.MathExpr.Factorial;
import dev.revise.envs.grading.MathExpr.Func;
import dev.revise.envs.grading.MathExpr.Matrix;
import dev.revise.envs.grading.MathExpr.Mul;
import dev.revise.envs.grading.MathExpr.Neg;
import dev.revise.envs.grading.MathExpr.Num;
import dev.revise.envs.grading.MathExpr.Percent;
import dev.revise.envs.grading.MathExpr.PlusMinus;
import dev.revise.envs.grading.MathExpr.Pow;
import dev.revise.envs.grading.MathExpr.Relation;
import dev.revise.envs.grading.MathExpr.Root;
import dev.revise.envs.grading.MathExpr.SetOf;
import dev.revise.envs.grading.MathExpr.Sym;
import dev.revise.envs.grading.MathExpr.Union;
import java.util.ArrayList;
import java.util.List;

/**
 * A recursive-descent parser from normalised LaTeX or plain math ({@link LatexNormalizer}) to a
 * {@link MathExpr}. It works on characters rather than tokens because LaTeX arguments without
 * braces take a single character ({@code \frac12} is one half, {@code \sqrt21} is {@code \sqrt{2}
 * 1}). Anything it does not understand is a {@link LatexCursor.ParseException}, never a guess.
 */
final class MathParser extends LatexCursor {
    private static final int MAX_DEPTH = 200;

    private int depth;

    private MathParser(String s) {
        super(s);
    }

    /** Parses a whole normalised answer. */
    static MathExpr parse(String normalised) {
        MathParser p = new MathParser(normalised);
        MathExpr e = p.answers();
        p.ws();
        if (p.pos < p.s.length()) {
            throw new ParseException("unexpected '" + p.s.charAt(p.pos) + "' at " + p.pos);
        }
        return e;
    }

    private MathExpr answers() {
        List<MathExpr> parts = new ArrayList<>();
        parts.add(commaList());
        while (eat(";")) {
            parts.add(commaList());
        }
        return parts.size() == 1 ? parts.get(0) : new Answers(parts);
    }

    private MathExpr commaList() {
        List<MathExpr> items = new ArrayList<>();
        items.add(relation());
        while (eat(",")) {
            items.add(relation());
        }
        return items.size() == 1 ? items.get(0) : new Answers(items);
    }

    private MathExpr relation() {
        List<MathExpr> terms = new ArrayList<>();
        List<String> ops = new ArrayList<>();
        terms.add(union());
        for (String op = relOp(); op != null; op = relOp()) {
            ops.add(op);
            terms.add(union());
        }
        return ops.isEmpty() ? terms.get(0) : new Relation(terms, ops);
    }

    private MathExpr union() {
        List<MathExpr> parts = new ArrayList<>();
        parts.add(ratio());
        while (eatCommand("cup")) {
            parts.add(ratio());
        }
        return parts.size() == 1 ? parts.get(0) : new Union(parts);
    }

    private MathExpr ratio() {
        MathExpr left = additive();
        if (eat(":")) {
            return new Div(left, additive());
        }
        return left;
    }

    private MathExpr additive() {
        MathExpr left = term();
        while (true) {
            ws();
            if (eat("+")) {
                left = add(left, term());
            } else if (eat("-")) {
                left = add(left, new Neg(term()));
            } else if (eatCommand("pm")) {
                left = new PlusMinus(left, term(), false);
            } else if (eatCommand("mp")) {
                left = new PlusMinus(left, term(), true);
            } else {
                return left;
            }
        }
    }

    private static MathExpr add(MathExpr left, MathExpr right) {
        List<MathExpr> terms = new ArrayList<>();
        if (left instanceof Add a) {
            terms.addAll(a.terms());
        } else {
            terms.add(left);
        }
        terms.add(right);
        return new Add(terms);
    }

    private MathExpr term() {
        MathExpr left = unary();
        while (true) {
            ws();
            if (eat("*") || eatCommand("cdot") || eatCommand("times")) {
                left = mul(left, unary());
            } else if (eat("/") || eatCommand("div")) {
                left = new Div(left, unary());
            } else if (startsFactor()) {
                int save = pos;
                MathExpr right = unary();
                // 1\frac{4}{5} is a mixed number, not a product
                if (left instanceof Num n
                        && n.value().isInteger()
                        && n.fractionDigits() == 0
                        && s.startsWith("\\frac", save)
                        && right instanceof Div d
                        && d.numerator() instanceof Num
                        && d.denominator() instanceof Num) {
                    left = n.value().signum() < 0 ? add(left, new Neg(right)) : add(left, right);
                } else {
                    left = mul(left, right);
                }
            } else {
                return left;
            }
        }
    }

    private static MathExpr mul(MathExpr left, MathExpr right) {
        List<MathExpr> factors = new ArrayList<>();
        if (left instanceof Mul m) {
            factors.addAll(m.factors());
        } else {
            factors.add(left);
        }
        factors.add(right);
        return new Mul(factors);
    }

    private MathExpr unary() {
        ws();
        if (eat("-")) {
            return new Neg(unary());
        }
        if (eat("+")) {
            return unary();
        }
        if (eatCommand("pm")) {
            return new PlusMinus(null, unary(), false);
        }
        if (eatCommand("mp")) {
            return new PlusMinus(null, unary(), true);
        }
        return power();
    }

    private MathExpr power() {
        MathExpr base = postfix(primary());
        ws();
        if (eat("^") || eat("**")) {
            MathExpr exponent = scriptArgument();
            return postfix(new Pow(base, exponent));
        }
        return base;
    }

    private MathExpr postfix(MathExpr e) {
        while (true) {
            if (s.startsWith("!", pos) && !s.startsWith("!=", pos)) {
                pos++;
                e = new Factorial(e);
            } else if (eat("%")) {
                e = new Percent(e);
            } else if (pos < s.length() && s.charAt(pos) == '_') {
                pos++;
                String sub = rawArgument();
                if (e instanceof Sym sym) {
                    e = new Sym(sym.name() + "_" + sub);
                } else if (e instanceof Num n && n.fractionDigits() == 0) {
                    e = new Sym(n.value() + "_" + sub); // a number in another base: an opaque atom
                } else {
                    throw new ParseException("subscript on a non-symbol");
                }
            } else if (pos < s.length() && s.charAt(pos) == '\'' && e instanceof Sym sym) {
                pos++;
                e = new Sym(sym.name() + "'");
            } else {
                return e;
            }
        }
    }

    /** An exponent: braces, a single digit or letter, a signed one, or a command. */
    private MathExpr scriptArgument() {
        ws();
        if (eat("-")) {
            return new Neg(scriptArgument());
        }
        return argument();
    }

    /** A LaTeX argument: a braced group or a single character or command. */
    private MathExpr argument() {
        ws();
        if (pos >= s.length()) {
            throw new ParseException("missing argument");
        }
        char c = s.charAt(pos);
        if (c == '{') {
            pos++;
            MathExpr inner = relation();
            expect("}");
            return inner;
        }
        if (Character.isDigit(c)) {
            pos++;
            return new Num(BigRational.of(c - '0'), 0);
        }
        if (Character.isLetter(c)) {
            pos++;
            return c == 'e' ? new Const("e") : new Sym(String.valueOf(c));
        }
        if (c == '\\') {
            return primary();
        }
        throw new ParseException("bad argument '" + c + "'");
    }

    private MathExpr primary() {
        ws();
        if (pos >= s.length()) {
            throw new ParseException("unexpected end");
        }
        if (++depth > MAX_DEPTH) {
            throw new ParseException("nested too deeply");
        }
        try {
            return primaryUnguarded();
        } finally {
            depth--;
        }
    }

    private MathExpr primaryUnguarded() {
        char c = s.charAt(pos);
        if (Character.isDigit(c) || (c == '.' && pos + 1 < s.length() && Character.isDigit(s.charAt(pos + 1)))) {
            return number();
        }
        if (Character.isLetter(c)) {
            return word();
        }
        if (c == '(' || c == '[') {
            pos++;
            List<MathExpr> items = itemsUntil(")]");
            char close = s.charAt(pos++);
            if (items.size() == 1 && !(c == '[' && close == ')') && !(c == '(' && close == ']')) {
                return items.get(0);
            }
            return new Bracketed(items, c, close);
        }
        if (c == '{') {
            pos++;
            List<MathExpr> items = itemsUntil("}");
            pos++;
            return items.size() == 1 ? items.get(0) : new SetOf(items);
        }
        if (c == '|') {
            pos++;
            MathExpr inner = additive();
            expect("|");
            return new Func("abs", List.of(inner));
        }
        if (c == '\\') {
            if (s.startsWith("\\{\\}", pos)) {
                pos += 4;
                return new SetOf(List.of());
            }
            if (s.startsWith("\\{", pos)) {
                pos += 2;
                List<MathExpr> items = new ArrayList<>();
                items.add(relation());
                while (eat(",")) {
                    items.add(relation());
                }
                expect("\\}");
                return new SetOf(items);
            }
            return command();
        }
        throw new ParseException("unexpected '" + c + "'");
    }

    private List<MathExpr> itemsUntil(String closers) {
        List<MathExpr> items = new ArrayList<>();
        items.add(relation());
        while (eat(",")) {
            items.add(relation());
        }
        ws();
        if (pos >= s.length() || closers.indexOf(s.charAt(pos)) < 0) {
            throw new ParseException("unclosed bracket");
        }
        return items;
    }

    /** A letter is a symbol (implicit products make {@code xy} x times y); a few plain names are known. */
    private MathExpr word() {
        for (String f : PLAIN_FUNCTIONS) {
            if (s.startsWith(f + "(", pos)) {
                pos += f.length();
                return function(f);
            }
        }
        if (s.startsWith("pi", pos) && (pos + 2 >= s.length() || !Character.isLetter(s.charAt(pos + 2)))) {
            pos += 2;
            return new Const("pi");
        }
        char c = s.charAt(pos++);
        return c == 'e' ? new Const("e") : new Sym(String.valueOf(c));
    }

    private MathExpr command() {
        String cmd = peekCommand();
        if (cmd == null) {
            throw new ParseException("stray backslash");
        }
        pos += cmd.length() + 1;
        switch (cmd) {
            case "frac", "dfrac", "tfrac", "cfrac" -> {
                MathExpr num = argument();
                return new Div(num, argument());
            }
            case "sqrt" -> {
                ws();
                MathExpr index = new Num(BigRational.of(2), 0);
                if (eat("[")) {
                    index = additive();
                    expect("]");
                }
                return new Root(argument(), index);
            }
            case "pi" -> {
                return new Const("pi");
            }
            case "infty", "infinity" -> {
                return new Const("infinity");
            }
            case "begin" -> {
                return matrix();
            }
            case "mathbf",
                    "mathrm",
                    "mathit",
                    "boldsymbol",
                    "vec",
                    "overline",
                    "hat",
                    "bar",
                    "text",
                    "operatorname" -> {
                return argument();
            }
            case "cdot", "times", "div", "right", "end", "dots", "ldots", "cdots", "cap", "setminus" ->
                throw new ParseException("unexpected \\" + cmd);
            default -> {
                if (FUNCTIONS.contains(cmd)) {
                    return function(cmd);
                }
                if (cmd.equals("sum") || cmd.equals("prod") || cmd.equals("int") || cmd.equals("lim")) {
                    return bigOperator(cmd);
                }
                return new Sym("\\" + cmd); // Greek letters and the like
            }
        }
    }

    /** {@code \sin x}, {@code \sin^2(x)}, {@code \log_2 8}: the argument is a group or the next product. */
    private MathExpr function(String name) {
        MathExpr power = null;
        String base = null;
        ws();
        if (eat("_")) {
            base = rawArgument();
        }
        if (eat("^")) {
            power = scriptArgument();
        }
        ws();
        if (base == null && eat("_")) {
            base = rawArgument();
        }
        ws();
        MathExpr arg;
        if (pos < s.length() && (s.charAt(pos) == '(' || s.charAt(pos) == '{' || s.charAt(pos) == '[')) {
            arg = primary();
        } else {
            arg = power();
            while (pos < s.length() && startsFactor() && !nextIsFunction()) {
                arg = mul(arg, power());
                ws();
            }
        }
        List<MathExpr> args = base == null ? List.of(arg) : List.of(arg, parse(base));
        MathExpr f = new Func(name, args);
        return power == null ? f : new Pow(f, power);
    }

    /** Sums, products, integrals and limits are not evaluated: an opaque function of their body. */
    private MathExpr bigOperator(String name) {
        StringBuilder key = new StringBuilder(name);
        for (int i = 0; i < 2; i++) {
            ws();
            if (pos < s.length() && (s.charAt(pos) == '_' || s.charAt(pos) == '^')) {
                key.append(s.charAt(pos++));
                key.append(rawArgument());
            }
        }
        return new Func(key.toString(), List.of(term()));
    }

    private MathExpr matrix() {
        int close = s.indexOf('}', pos);
        if (!s.startsWith("{", pos) || close < 0) {
            throw new ParseException("bad \\begin");
        }
        String env = s.substring(pos + 1, close);
        if (!(env.endsWith("matrix") && !env.equalsIgnoreCase("vmatrix")) && !env.equals("array")) {
            throw new ParseException("unsupported environment " + env);
        }
        pos = close + 1;
        if (env.equals("array")) {
            ws();
            pos = matching(pos, '{', '}') + 1; // column spec
        }
        List<List<MathExpr>> rows = new ArrayList<>();
        List<MathExpr> row = new ArrayList<>();
        while (true) {
            ws();
            if (eat("\\end")) {
                ws();
                pos = matching(pos, '{', '}') + 1;
                break;
            }
            if (s.startsWith("\\\\", pos)) {
                pos += 2;
                if (!row.isEmpty()) {
                    rows.add(row);
                }
                row = new ArrayList<>();
                continue;
            }
            row.add(relation());
            ws();
            eat("&");
        }
        if (!row.isEmpty()) {
            rows.add(row);
        }
        if (rows.isEmpty()
                || rows.stream().anyMatch(r -> r.size() != rows.get(0).size())) {
            throw new ParseException("ragged matrix");
        }
        return new Matrix(rows);
    }
}
