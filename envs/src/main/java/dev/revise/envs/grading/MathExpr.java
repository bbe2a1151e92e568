package dev.revise.envs.grading;

import java.util.List;

/**
 * The expression tree of a parsed final answer. Scalars (numbers, symbols, arithmetic, functions)
 * are evaluated by {@link MathEvaluator}; structures (tuples, intervals, sets, lists of answers,
 * relations, matrices) are compared by {@link MathEquivalence}.
 */
sealed interface MathExpr {
    /** A number literal; {@code fractionDigits} is how many digits were written after the point. */
    record Num(BigRational value, int fractionDigits) implements MathExpr {}

    /** A variable, or an opaque atom such as {@code x_1} or {@code 204_5}. */
    record Sym(String name) implements MathExpr {}

    /** {@code pi}, {@code e} or {@code infinity}. */
    record Const(String name) implements MathExpr {}

    record Add(List<MathExpr> terms) implements MathExpr {}

    record Mul(List<MathExpr> factors) implements MathExpr {}

    record Div(MathExpr numerator, MathExpr denominator) implements MathExpr {}

    record Neg(MathExpr operand) implements MathExpr {}

    record Pow(MathExpr base, MathExpr exponent) implements MathExpr {}

    record Root(MathExpr radicand, MathExpr index) implements MathExpr {}

    /** A known function ({@code sin}, {@code log}, {@code abs}, ...) or an opaque one ({@code f}). */
    record Func(String name, List<MathExpr> args) implements MathExpr {}

    record Factorial(MathExpr operand) implements MathExpr {}

    /** {@code x%}: worth x or x/100, since answers drop or keep the unit inconsistently. */
    record Percent(MathExpr operand) implements MathExpr {}

    /** {@code left ± right} (left null for a leading ±); {@code minusPlus} for ∓. */
    record PlusMinus(MathExpr left, MathExpr right, boolean minusPlus) implements MathExpr {}

    /** {@code (a, b)}, {@code [a, b)}, ...: a tuple or an interval, told apart by the brackets. */
    record Bracketed(List<MathExpr> items, char open, char close) implements MathExpr {}

    /** {@code \{a, b\}}: order-insensitive. */
    record SetOf(List<MathExpr> items) implements MathExpr {}

    record Union(List<MathExpr> parts) implements MathExpr {}

    record Matrix(List<List<MathExpr>> rows) implements MathExpr {}

    /** A chain {@code t0 op0 t1 op1 t2 ...}; ops are =, !=, <, <=, >, >=, in. */
    record Relation(List<MathExpr> terms, List<String> ops) implements MathExpr {}

    /** Several answers ({@code 1, 2} or {@code x=1 and x=2}): order-insensitive by default. */
    record Answers(List<MathExpr> items) implements MathExpr {}
}
