package dev.revise.policies.tokenizer.jinja;

import dev.revise.policies.tokenizer.jinja.Node.Stmt;
import dev.revise.policies.tokenizer.jinja.Node.Target;
import dev.revise.policies.tokenizer.jinja.Py.LoopContext;
import dev.revise.policies.tokenizer.jinja.Py.Namespace;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a parsed template for one render. Scoping follows what jinja2's compiled code does: for
 * loop iterations, macro and call bodies, set/filter blocks and {@code with} each get a fresh scope
 * whose assignments vanish at its end (hence {@code namespace}), while if-branches assign into the
 * enclosing scope. Lookups walk outward, so a body reads an outer name until it assigns its own.
 */
final class Interpreter {
    enum Flow {
        NORMAL,
        BREAK,
        CONTINUE
    }

    static final class Scope {
        private final Map<String, Object> vars = new HashMap<>();
        private final Scope parent;

        Scope(Scope parent) {
            this.parent = parent;
        }

        Object lookup(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                Object v = s.vars.get(name);
                if (v != null || s.vars.containsKey(name)) {
                    return v;
                }
            }
            return Py.MISSING;
        }

        void set(String name, Object value) {
            vars.put(name, value);
        }
    }

    final Evaluator eval;
    private final Scope root;

    Interpreter(Map<String, Object> context, Clock clock) {
        this.eval = new Evaluator(this);
        Scope globals = new Scope(null);
        Globals.install(globals, clock);
        Scope ctx = new Scope(globals);
        context.forEach(ctx::set);
        this.root = new Scope(ctx);
    }

    String render(List<Stmt> body) {
        StringBuilder out = new StringBuilder();
        exec(body, root, out);
        return out.toString();
    }

    Flow exec(List<Stmt> body, Scope scope, StringBuilder out) {
        for (Stmt s : body) {
            Flow f;
            try {
                f = exec(s, scope, out);
            } catch (JinjaException e) {
                throw e.atLine(s.line());
            } catch (StackOverflowError overflow) {
                throw Evaluator.recursion(s.line());
            }
            if (f != Flow.NORMAL) {
                return f;
            }
        }
        return Flow.NORMAL;
    }

    private Flow exec(Stmt s, Scope scope, StringBuilder out) {
        if (s instanceof Node.Text t) {
            out.append(t.text());
        } else if (s instanceof Node.Print p) {
            out.append(printed(eval.eval(p.expr(), scope)));
        } else if (s instanceof Node.If i) {
            for (int k = 0; k < i.tests().size(); k++) {
                if (PyOps.truthy(eval.eval(i.tests().get(k), scope))) {
                    return exec(i.bodies().get(k), scope, out);
                }
            }
            return exec(i.orElse(), scope, out);
        } else if (s instanceof Node.For f) {
            forLoop(f, scope, out);
        } else if (s instanceof Node.Assign a) {
            assign(a.target(), eval.eval(a.value(), scope), scope);
        } else if (s instanceof Node.AssignBlock a) {
            StringBuilder buf = new StringBuilder();
            exec(a.body(), new Scope(scope), buf);
            Object value = a.filter() == null ? buf.toString() : eval.evalWithInput(a.filter(), scope, buf.toString());
            assign(a.target(), value, scope);
        } else if (s instanceof Node.MacroDef m) {
            scope.set(m.name(), macro(m.name(), m.sig(), m.body(), scope));
        } else if (s instanceof Node.CallBlock c) {
            Py.Macro caller = macro(null, c.sig(), c.body(), scope);
            out.append(printed(eval.call(c.call(), scope, caller)));
        } else if (s instanceof Node.FilterBlock f) {
            StringBuilder buf = new StringBuilder();
            exec(f.body(), new Scope(scope), buf);
            out.append(printed(eval.evalWithInput(f.filter(), scope, buf.toString())));
        } else if (s instanceof Node.With w) {
            List<Object> values = new ArrayList<>();
            w.values().forEach(v -> values.add(eval.eval(v, scope)));
            Scope inner = new Scope(scope);
            for (int k = 0; k < values.size(); k++) {
                assign(w.targets().get(k), values.get(k), inner);
            }
            return exec(w.body(), inner, out);
        } else if (s instanceof Node.Scoped sc) {
            exec(sc.body(), new Scope(scope), out);
        } else if (s instanceof Node.Break) {
            return Flow.BREAK;
        } else if (s instanceof Node.Continue) {
            return Flow.CONTINUE;
        }
        return Flow.NORMAL;
    }

    /** What {@code {{ value }}} writes: Python's str(), with Undefined as "". */
    static String printed(Object value) {
        return PyOps.str(value);
    }

    private void forLoop(Node.For f, Scope scope, StringBuilder out) {
        Object iterable = eval.eval(f.iter(), scope);
        List<Object> items = PyOps.toList(iterable);
        if (f.filter() != null) {
            List<Object> kept = new ArrayList<>();
            for (Object item : items) {
                Scope test = new Scope(scope);
                assign(f.target(), item, test);
                if (PyOps.truthy(eval.eval(f.filter(), test))) {
                    kept.add(item);
                }
            }
            items = kept;
        }
        // jinja2 clears its "run the else block" flag at the end of an iteration's body, so an
        // iteration left by break or continue does not count: else runs unless one ran to the end.
        boolean completed = false;
        LoopContext loop = new LoopContext(items);
        for (Object item : items) {
            loop.index0++;
            Scope body = new Scope(scope);
            assign(f.target(), item, body);
            body.set("loop", loop);
            Flow flow = exec(f.body(), body, out);
            if (flow == Flow.BREAK) {
                break;
            }
            completed |= flow == Flow.NORMAL;
        }
        if (!completed && !f.orElse().isEmpty()) {
            exec(f.orElse(), new Scope(scope), out);
        }
    }

    void assign(Target target, Object value, Scope scope) {
        if (target instanceof Node.NameTarget n) {
            scope.set(n.name(), value);
        } else if (target instanceof Node.NsTarget ns) {
            Object obj = scope.lookup(ns.name());
            if (!(obj instanceof Namespace namespace)) {
                throw new JinjaException(
                        JinjaException.Kind.TemplateRuntimeError, "cannot assign attribute on non-namespace object");
            }
            namespace.attrs.put(ns.attr(), value);
        } else if (target instanceof Node.TupleTarget t) {
            List<Object> items = PyOps.toList(value);
            int n = t.items().size();
            if (items.size() < n) {
                throw JinjaException.value(
                        "not enough values to unpack (expected " + n + ", got " + items.size() + ")");
            }
            if (items.size() > n) {
                throw JinjaException.value("too many values to unpack (expected " + n + ")");
            }
            for (int k = 0; k < n; k++) {
                assign(t.items().get(k), items.get(k), scope);
            }
        }
    }

    /** A macro as jinja2's runtime.Macro binds it: positionals, then keywords, then defaults. */
    private Py.Macro macro(String name, Node.Signature sig, List<Stmt> body, Scope defining) {
        String shown = name == null ? "caller" : name;
        return new Py.Macro(name, (args, kwargs) -> {
            Map<String, Object> kw = new LinkedHashMap<>(kwargs);
            List<String> params = sig.params();
            Scope scope = new Scope(defining);
            int firstDefault = params.size() - sig.defaults().size();
            for (int k = 0; k < params.size(); k++) {
                String param = params.get(k);
                Object value;
                if (k < args.size()) {
                    value = args.get(k);
                } else if (kw.containsKey(param)) {
                    value = kw.remove(param);
                } else if (k >= firstDefault) {
                    value = eval.eval(sig.defaults().get(k - firstDefault), scope);
                } else {
                    value = Py.Undefined.withHint("parameter '" + param + "' was not provided");
                }
                scope.set(param, value);
            }
            if (sig.usesCaller()) {
                Object caller = kw.remove("caller");
                scope.set("caller", caller == null ? Py.Undefined.withHint("No caller defined") : caller);
            }
            if (sig.usesKwargs()) {
                scope.set("kwargs", new LinkedHashMap<Object, Object>(kw));
            } else if (!kw.isEmpty()) {
                String first = kw.keySet().iterator().next();
                if (kw.containsKey("caller")) {
                    throw JinjaException.type("macro '" + shown + "' was invoked with two values for the special"
                            + " caller argument. This is most likely a bug.");
                }
                throw JinjaException.type("macro '" + shown + "' takes no keyword argument '" + first + "'");
            }
            if (sig.usesVarargs()) {
                scope.set(
                        "varargs",
                        new Py.Tuple(
                                args.size() > params.size()
                                        ? List.copyOf(args.subList(params.size(), args.size()))
                                        : List.of()));
            } else if (args.size() > params.size()) {
                throw JinjaException.type(
                        "macro '" + shown + "' takes not more than " + params.size() + " argument(s)");
            }
            StringBuilder buf = new StringBuilder();
            exec(body, scope, buf);
            return buf.toString();
        });
    }
}
