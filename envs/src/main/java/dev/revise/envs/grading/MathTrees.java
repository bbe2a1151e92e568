package dev.revise.envs.grading;

import dev.revise.envs.grading.MathEvaluator.Scalar;
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
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/** Small queries and rewrites over {@link MathExpr} trees. */
final class MathTrees {
    private MathTrees() {}

    static List<MathExpr> children(MathExpr e) {
        if (e instanceof Add a) {
            return a.terms();
        } else if (e instanceof Mul m) {
            return m.factors();
        } else if (e instanceof Div d) {
            return List.of(d.numerator(), d.denominator());
        } else if (e instanceof Neg n) {
            return List.of(n.operand());
        } else if (e instanceof Pow p) {
            return List.of(p.base(), p.exponent());
        } else if (e instanceof Root r) {
            return List.of(r.radicand(), r.index());
        } else if (e instanceof Func f) {
            return f.args();
        } else if (e instanceof Factorial f) {
            return List.of(f.operand());
        } else if (e instanceof Percent p) {
            return List.of(p.operand());
        } else if (e instanceof PlusMinus pm) {
            return pm.left() == null ? List.of(pm.right()) : List.of(pm.left(), pm.right());
        } else if (e instanceof Bracketed b) {
            return b.items();
        } else if (e instanceof SetOf s) {
            return s.items();
        } else if (e instanceof Union u) {
            return u.parts();
        } else if (e instanceof Matrix m) {
            return m.rows().stream().flatMap(List::stream).toList();
        } else if (e instanceof Relation r) {
            return r.terms();
        } else if (e instanceof Answers a) {
            return a.items();
        }
        return List.of(); // Num, Sym, Const
    }

    static boolean any(MathExpr e, Predicate<MathExpr> test) {
        if (test.test(e)) {
            return true;
        }
        for (MathExpr c : children(e)) {
            if (any(c, test)) {
                return true;
            }
        }
        return false;
    }

    static Set<String> symbols(MathExpr e) {
        Set<String> out = new TreeSet<>();
        collect(e, out);
        return out;
    }

    private static void collect(MathExpr e, Set<String> out) {
        if (e instanceof Sym s) {
            out.add(s.name());
        }
        for (MathExpr c : children(e)) {
            collect(c, out);
        }
    }

    /** The expression with every ± replaced by {@code sign} (and every ∓ by its opposite). */
    static MathExpr fixSign(MathExpr e, int sign) {
        if (e instanceof PlusMinus pm) {
            MathExpr right = fixSign(pm.right(), sign);
            MathExpr signed = (sign > 0) != pm.minusPlus() ? right : new Neg(right);
            return pm.left() == null ? signed : new Add(List.of(fixSign(pm.left(), sign), signed));
        } else if (e instanceof Add a) {
            return new Add(a.terms().stream().map(t -> fixSign(t, sign)).toList());
        } else if (e instanceof Mul m) {
            return new Mul(m.factors().stream().map(t -> fixSign(t, sign)).toList());
        } else if (e instanceof Div d) {
            return new Div(fixSign(d.numerator(), sign), fixSign(d.denominator(), sign));
        } else if (e instanceof Neg n) {
            return new Neg(fixSign(n.operand(), sign));
        } else if (e instanceof Pow p) {
            return new Pow(fixSign(p.base(), sign), fixSign(p.exponent(), sign));
        } else if (e instanceof Root r) {
            return new Root(fixSign(r.radicand(), sign), r.index());
        } else if (e instanceof Func f) {
            return new Func(
                    f.name(), f.args().stream().map(t -> fixSign(t, sign)).toList());
        } else if (e instanceof Percent p) {
            return new Percent(fixSign(p.operand(), sign));
        }
        return e;
    }

    /** +1 for infinity, -1 for minus infinity, 0 for anything else. */
    static int infinitySign(MathExpr e) {
        if (e instanceof Const c) {
            return c.name().equals("infinity") ? 1 : 0;
        }
        return e instanceof Neg n ? -infinitySign(n.operand()) : 0;
    }

    /** Digits after the point of a (signed) decimal literal, or -1 if e is not one. */
    static int decimalDigits(MathExpr e) {
        if (e instanceof Neg n) {
            return decimalDigits(n.operand());
        }
        return e instanceof Num n && n.fractionDigits() > 0 ? n.fractionDigits() : -1;
    }

    static Scalar ratio(Scalar a, Scalar b) {
        if (a.exact() != null && b.exact() != null) {
            return Scalar.of(a.exact().divide(b.exact()));
        }
        return Scalar.approx(a.approx().divide(b.approx(), MathEvaluator.MC), a.low() || b.low());
    }
}
