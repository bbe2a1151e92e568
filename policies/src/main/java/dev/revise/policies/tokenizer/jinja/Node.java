package dev.revise.policies.tokenizer.jinja;

import java.util.List;

/** The parsed template: statements and expressions, each remembering its template line. */
final class Node {
    private Node() {}

    sealed interface Stmt
            permits Text,
                    Print,
                    If,
                    For,
                    Assign,
                    AssignBlock,
                    MacroDef,
                    CallBlock,
                    FilterBlock,
                    With,
                    Scoped,
                    Break,
                    Continue {
        int line();
    }

    record Text(String text, int line) implements Stmt {}

    record Print(Expr expr, int line) implements Stmt {}

    /** if/elif.../else: tests.get(i) guards bodies.get(i). */
    record If(List<Expr> tests, List<List<Stmt>> bodies, List<Stmt> orElse, int line) implements Stmt {}

    record For(Target target, Expr iter, Expr filter, List<Stmt> body, List<Stmt> orElse, int line) implements Stmt {}

    record Assign(Target target, Expr value, int line) implements Stmt {}

    /** {@code {% set x | filters %}body{% endset %}}; filter is null or a chain with a null innermost operand. */
    record AssignBlock(Target target, Expr filter, List<Stmt> body, int line) implements Stmt {}

    /** A macro's signature and which of jinja2's implicit names its body reads. */
    record Signature(
            List<String> params, List<Expr> defaults, boolean usesCaller, boolean usesVarargs, boolean usesKwargs) {}

    record MacroDef(String name, Signature sig, List<Stmt> body, int line) implements Stmt {}

    record CallBlock(Signature sig, Call call, List<Stmt> body, int line) implements Stmt {}

    record FilterBlock(Expr filter, List<Stmt> body, int line) implements Stmt {}

    record With(List<Target> targets, List<Expr> values, List<Stmt> body, int line) implements Stmt {}

    /** A body rendered in its own scope: the generation tag (a call block in jinja2). */
    record Scoped(List<Stmt> body, int line) implements Stmt {}

    record Break(int line) implements Stmt {}

    record Continue(int line) implements Stmt {}

    sealed interface Target permits NameTarget, TupleTarget, NsTarget {}

    record NameTarget(String name) implements Target {}

    record TupleTarget(List<Target> items) implements Target {}

    record NsTarget(String name, String attr) implements Target {}

    sealed interface Expr
            permits Const,
                    Name,
                    TupleExpr,
                    ListExpr,
                    DictExpr,
                    GetAttr,
                    GetItem,
                    Slice,
                    Call,
                    Filter,
                    Test,
                    Unary,
                    Binary,
                    And,
                    Or,
                    Concat,
                    Compare,
                    CondExpr,
                    FilterInput {
        int line();
    }

    record Const(Object value, int line) implements Expr {}

    record Name(String name, int line) implements Expr {}

    record TupleExpr(List<Expr> items, int line) implements Expr {}

    record ListExpr(List<Expr> items, int line) implements Expr {}

    record DictExpr(List<Expr> keys, List<Expr> values, int line) implements Expr {}

    record GetAttr(Expr obj, String name, int line) implements Expr {}

    record GetItem(Expr obj, Expr key, int line) implements Expr {}

    /** Only ever the key of a GetItem; null parts are omitted ones. */
    record Slice(Expr start, Expr stop, Expr step, int line) implements Expr {}

    record CallArgs(List<Expr> args, List<String> kwNames, List<Expr> kwValues, Expr dynArgs, Expr dynKwargs) {
        static final CallArgs NONE = new CallArgs(List.of(), List.of(), List.of(), null, null);
    }

    record Call(Expr fn, CallArgs args, int line) implements Expr {}

    /** {@code operand|name(args)}; {@code known} is false for a name jinja2 has no filter for. */
    record Filter(Expr operand, String name, CallArgs args, boolean known, int line) implements Expr {}

    record Test(Expr operand, String name, CallArgs args, boolean known, int line) implements Expr {}

    /** The rendered body a filter block or set block feeds into its filter chain. */
    record FilterInput(int line) implements Expr {}

    /** op is "not", "neg" or "pos". */
    record Unary(String op, Expr operand, int line) implements Expr {}

    /** op is one of add sub mul div floordiv mod pow. */
    record Binary(String op, Expr left, Expr right, int line) implements Expr {}

    record And(Expr left, Expr right, int line) implements Expr {}

    record Or(Expr left, Expr right, int line) implements Expr {}

    record Concat(List<Expr> parts, int line) implements Expr {}

    /** first ops[0] operands[0] ops[1] operands[1]...; ops are eq ne lt lteq gt gteq in notin. */
    record Compare(Expr first, List<String> ops, List<Expr> operands, int line) implements Expr {}

    /** {@code then if test else orElse}; orElse null when the else part is omitted. */
    record CondExpr(Expr test, Expr then, Expr orElse, int line) implements Expr {}
}
