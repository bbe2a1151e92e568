package dev.revise.policies.tokenizer.jinja;

import dev.revise.policies.tokenizer.jinja.Interpreter.Scope;
import dev.revise.policies.tokenizer.jinja.Node.CallArgs;
import dev.revise.policies.tokenizer.jinja.Node.Expr;
import dev.revise.policies.tokenizer.jinja.Py.Undefined;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Evaluates expressions with Python semantics, as jinja2's generated code would. */
final class Evaluator {
    private final Interpreter interp;
    /** The rendered body of the filter or set block whose filter chain is being evaluated. */
    private String filterInput;

    Evaluator(Interpreter interp) {
        this.interp = interp;
    }

    Object eval(Expr e, Scope scope) {
        try {
            return evalUnlocated(e, scope);
        } catch (JinjaException ex) {
            throw ex.atLine(e.line());
        } catch (StackOverflowError overflow) {
            throw recursion(e.line());
        }
    }

    /** Python's RecursionError, e.g. for a macro that calls itself without end. */
    static JinjaException recursion(int line) {
        return new JinjaException(JinjaException.Kind.RecursionError, "maximum recursion depth exceeded", line);
    }

    Object evalWithInput(Expr filterChain, Scope scope, String input) {
        String saved = filterInput;
        filterInput = input;
        try {
            return eval(filterChain, scope);
        } finally {
            filterInput = saved;
        }
    }

    private Object evalUnlocated(Expr e, Scope scope) {
        if (e instanceof Node.Const c) {
            return c.value();
        }
        if (e instanceof Node.Name n) {
            Object v = scope.lookup(n.name());
            return v == Py.MISSING ? Undefined.named(n.name()) : v;
        }
        if (e instanceof Node.GetAttr g) {
            return Attrs.getattr(eval(g.obj(), scope), g.name());
        }
        if (e instanceof Node.GetItem g) {
            Object obj = eval(g.obj(), scope);
            if (g.key() instanceof Node.Slice s) {
                return Attrs.slice(obj, opt(s.start(), scope), opt(s.stop(), scope), opt(s.step(), scope));
            }
            return Attrs.getitem(obj, eval(g.key(), scope));
        }
        if (e instanceof Node.Call c) {
            return call(c, scope, null);
        }
        if (e instanceof Node.Filter f) {
            Object operand = eval(f.operand(), scope);
            if (!f.known()) {
                throw new JinjaException(
                        JinjaException.Kind.TemplateRuntimeError, "No filter named '" + f.name() + "' found.");
            }
            Args a = args(f.args(), scope);
            return Filters.apply(this, f.name(), operand, a.positional, a.keywords);
        }
        if (e instanceof Node.Test t) {
            Object operand = eval(t.operand(), scope);
            if (!t.known()) {
                throw new JinjaException(
                        JinjaException.Kind.TemplateRuntimeError, "No test named '" + t.name() + "' found.");
            }
            Args a = args(t.args(), scope);
            return TestFns.apply(this, t.name(), operand, a.positional, a.keywords);
        }
        if (e instanceof Node.FilterInput) {
            return filterInput;
        }
        if (e instanceof Node.Unary u) {
            Object v = eval(u.operand(), scope);
            return u.op().equals("not") ? !PyOps.truthy(v) : PyArith.unary(u.op(), v);
        }
        if (e instanceof Node.Binary b) {
            Object left = eval(b.left(), scope);
            Object right = eval(b.right(), scope);
            if (b.op().equals("pow") && isConstant(b.left()) && !isConstant(b.right()) && isNegative(left)) {
                // jinja2 folds a constant base into its repr, and Python reads "(-3 ** x)" as -(3 ** x).
                return PyArith.unary("neg", PyArith.binary("pow", PyArith.unary("neg", left), right));
            }
            return PyArith.binary(b.op(), left, right);
        }
        if (e instanceof Node.And a) {
            Object left = eval(a.left(), scope);
            return PyOps.truthy(left) ? eval(a.right(), scope) : left;
        }
        if (e instanceof Node.Or o) {
            Object left = eval(o.left(), scope);
            return PyOps.truthy(left) ? left : eval(o.right(), scope);
        }
        if (e instanceof Node.Concat c) {
            StringBuilder sb = new StringBuilder();
            c.parts().forEach(p -> sb.append(PyOps.str(eval(p, scope))));
            return sb.toString();
        }
        if (e instanceof Node.Compare c) {
            return compare(c, scope);
        }
        if (e instanceof Node.CondExpr c) {
            if (PyOps.truthy(eval(c.test(), scope))) {
                return eval(c.then(), scope);
            }
            if (c.orElse() == null) {
                return Undefined.withHint("the inline if-expression on line " + c.line()
                        + " evaluated to false and no else section was defined.");
            }
            return eval(c.orElse(), scope);
        }
        if (e instanceof Node.TupleExpr t) {
            return new Py.Tuple(evalAll(t.items(), scope));
        }
        if (e instanceof Node.ListExpr l) {
            return evalAll(l.items(), scope);
        }
        if (e instanceof Node.DictExpr d) {
            LinkedHashMap<Object, Object> m = new LinkedHashMap<>();
            for (int i = 0; i < d.keys().size(); i++) {
                Object k = eval(d.keys().get(i), scope);
                Attrs.dictPut(m, k, eval(d.values().get(i), scope));
            }
            return m;
        }
        if (e instanceof Node.Slice) {
            throw JinjaException.unsupported("a slice inside a tuple subscript");
        }
        throw new IllegalStateException("unknown expression " + e);
    }

    /** What jinja2's optimizer folds to a constant before the code is generated. */
    private static boolean isConstant(Expr e) {
        if (e instanceof Node.Const) {
            return true;
        }
        if (e instanceof Node.Unary u) {
            return isConstant(u.operand());
        }
        return e instanceof Node.Binary b && isConstant(b.left()) && isConstant(b.right());
    }

    private static boolean isNegative(Object v) {
        return (v instanceof Long l && l < 0) || (v instanceof Double d && (d < 0 || (d == 0 && 1 / d < 0)));
    }

    private Object opt(Expr e, Scope scope) {
        return e == null ? null : eval(e, scope);
    }

    private List<Object> evalAll(List<Expr> items, Scope scope) {
        List<Object> out = new ArrayList<>(items.size());
        items.forEach(i -> out.add(eval(i, scope)));
        return out;
    }

    private Object compare(Node.Compare c, Scope scope) {
        Object left = eval(c.first(), scope);
        for (int i = 0; i < c.ops().size(); i++) {
            Object right = eval(c.operands().get(i), scope);
            String op = c.ops().get(i);
            boolean ok =
                    switch (op) {
                        case "in" -> PyOps.contains(right, left);
                        case "notin" -> !PyOps.contains(right, left);
                        default -> PyOps.compare(op, left, right);
                    };
            if (!ok) {
                return false;
            }
            left = right;
        }
        return true;
    }

    /** Evaluated call arguments, with *args and **kwargs spread in. */
    static final class Args {
        final List<Object> positional = new ArrayList<>();
        final Map<String, Object> keywords = new LinkedHashMap<>();
    }

    private Args args(CallArgs ca, Scope scope) {
        Args a = new Args();
        ca.args().forEach(x -> a.positional.add(eval(x, scope)));
        for (int i = 0; i < ca.kwNames().size(); i++) {
            a.keywords.put(ca.kwNames().get(i), eval(ca.kwValues().get(i), scope));
        }
        if (ca.dynArgs() != null) {
            a.positional.addAll(PyOps.toList(eval(ca.dynArgs(), scope)));
        }
        if (ca.dynKwargs() != null) {
            Object kw = eval(ca.dynKwargs(), scope);
            if (!(kw instanceof Map<?, ?> m)) {
                throw JinjaException.type("argument after ** must be a mapping, not " + PyOps.typeName(kw));
            }
            m.forEach((k, v) -> {
                if (!(k instanceof String s)) {
                    throw JinjaException.type("keywords must be strings");
                }
                a.keywords.put(s, v);
            });
        }
        return a;
    }

    /** Calls {@code c}, passing {@code caller} as the caller keyword when it is a call block's. */
    Object call(Node.Call c, Scope scope, Py.Macro caller) {
        Object fn = eval(c.fn(), scope);
        Args a = args(c.args(), scope);
        if (caller != null) {
            a.keywords.put("caller", caller);
        }
        return invoke(fn, a.positional, a.keywords);
    }

    static Object invoke(Object fn, List<Object> args, Map<String, Object> kwargs) {
        if (fn instanceof Undefined u) {
            throw u.fail();
        }
        if (fn instanceof Py.Callable callable) {
            return callable.call(args, kwargs);
        }
        throw JinjaException.type("'" + PyOps.typeName(fn) + "' object is not callable");
    }

    /** A filter by name, for {@code |map('upper')}. */
    Object applyFilter(String name, Object value, List<Object> args, Map<String, Object> kwargs) {
        if (!Filters.NAMES.contains(name)) {
            throw new JinjaException(JinjaException.Kind.TemplateRuntimeError, "No filter named '" + name + "'.");
        }
        return Filters.apply(this, name, value, args, kwargs);
    }

    /** A test by name, for {@code |select('odd')}. */
    boolean applyTest(String name, Object value, List<Object> args, Map<String, Object> kwargs) {
        if (!TestFns.NAMES.contains(name)) {
            throw new JinjaException(JinjaException.Kind.TemplateRuntimeError, "No test named '" + name + "'.");
        }
        return TestFns.apply(this, name, value, args, kwargs);
    }

    Interpreter interpreter() {
        return interp;
    }
}
