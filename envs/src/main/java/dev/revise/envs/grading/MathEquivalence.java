package dev.revise.envs.grading;

import dev.revise.envs.grading.MathEvaluator.EvalException;
import dev.revise.envs.grading.MathEvaluator.MatrixValue;
import dev.revise.envs.grading.MathEvaluator.Scalar;
import dev.revise.envs.grading.MathEvaluator.Value;
import dev.revise.envs.grading.MathExpr.Add;
import dev.revise.envs.grading.MathExpr.Answers;
import dev.revise.envs.grading.MathExpr.Bracketed;
import dev.revise.envs.grading.MathExpr.Const;
import dev.revise.envs.grading.MathExpr.Div;
import dev.revise.envs.grading.MathExpr.Mul;
import dev.revise.envs.grading.MathExpr.Neg;
import dev.revise.envs.grading.MathExpr.PlusMinus;
import dev.revise.envs.grading.MathExpr.Relation;
import dev.revise.envs.grading.MathExpr.SetOf;
import dev.revise.envs.grading.MathExpr.Sym;
import dev.revise.envs.grading.MathExpr.Union;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Whether a predicted answer tree equals a reference one. The reference is authoritative, which
 * makes the relation rules asymmetric: a prediction {@code x = 2 + 3 = 5} is read as its final
 * value, while a reference equation counts as a value only when its left side is a name ({@code
 * y = x + 1}, {@code (p, q) = (3, 2)}); {@code 7 = 11a + c} stays an equation.
 *
 * <p>Structures: tuples and intervals compare in order with identical brackets; sets, unions and
 * lists of several answers ignore order and repeats (a parenthesised tuple compared with a set
 * or list is read as a list too); inequalities compare after orienting them, and become intervals
 * when compared with a set. Scalars and matrices compare by {@link MathEvaluator} at the same
 * random rational points.
 */
final class MathEquivalence {
    private static final int POINTS = 5;
    private static final MathExpr INFINITY = new Const("infinity");

    private final GradingOptions options;

    MathEquivalence(GradingOptions options) {
        this.options = options;
    }

    boolean equivalent(MathExpr pred, MathExpr gold) {
        MathExpr p = expandPlusMinus(pred);
        MathExpr g = expandPlusMinus(gold);
        if (p instanceof Relation || g instanceof Relation) {
            return relations(p, g);
        }
        if (unordered(p) || unordered(g)) {
            return collections(p, g);
        }
        if (p instanceof Bracketed a && g instanceof Bracketed b) {
            return a.open() == b.open() && a.close() == b.close() && inOrder(a.items(), b.items());
        }
        if (p instanceof Bracketed || g instanceof Bracketed) {
            return false;
        }
        return values(p, g);
    }

    // ---- structures

    private static boolean unordered(MathExpr e) {
        return e instanceof Answers || e instanceof SetOf || e instanceof Union;
    }

    private static List<MathExpr> items(MathExpr e) {
        if (e instanceof Answers a) {
            return a.items();
        } else if (e instanceof SetOf s) {
            return s.items();
        } else if (e instanceof Union u) {
            return u.parts();
        } else if (e instanceof Bracketed b && b.open() == '(' && b.close() == ')') {
            return b.items();
        }
        return List.of(e);
    }

    private boolean collections(MathExpr p, MathExpr g) {
        if ((p instanceof Union) != (g instanceof Union) && (unordered(p) && unordered(g))) {
            return false; // a union of intervals is not a list of answers
        }
        List<MathExpr> a = distinct(items(p));
        List<MathExpr> b = distinct(items(g));
        if (a.size() != b.size()) {
            return false;
        }
        if (options.orderedLists() && p instanceof Answers && g instanceof Answers) {
            return inOrder(a, b);
        }
        return matches(a, b, 0, new boolean[b.size()]);
    }

    private List<MathExpr> distinct(List<MathExpr> items) {
        List<MathExpr> out = new ArrayList<>();
        for (MathExpr e : items) {
            if (out.stream().noneMatch(o -> equivalent(e, o))) {
                out.add(e);
            }
        }
        return out;
    }

    /** A perfect matching between the two lists (backtracking; lists of answers are short). */
    private boolean matches(List<MathExpr> a, List<MathExpr> b, int i, boolean[] used) {
        if (i == a.size()) {
            return true;
        }
        for (int j = 0; j < b.size(); j++) {
            if (!used[j] && equivalent(a.get(i), b.get(j))) {
                used[j] = true;
                if (matches(a, b, i + 1, used)) {
                    return true;
                }
                used[j] = false;
            }
        }
        return false;
    }

    private boolean inOrder(List<MathExpr> a, List<MathExpr> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!equivalent(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** {@code 3 ± √2} is the set of its two values. */
    private static MathExpr expandPlusMinus(MathExpr e) {
        if (e instanceof Relation
                || e instanceof Answers
                || e instanceof SetOf
                || e instanceof Bracketed
                || !MathTrees.any(e, x -> x instanceof PlusMinus)) {
            return e;
        }
        return new SetOf(List.of(MathTrees.fixSign(e, 1), MathTrees.fixSign(e, -1)));
    }

    // ---- relations

    private boolean relations(MathExpr p, MathExpr g) {
        if (p instanceof Relation rp && g instanceof Relation rg) {
            if (assignment(rp) && assignment(rg)) {
                return equivalent(name(rp), name(rg)) && equivalent(last(rp), last(rg));
            }
            if (rp.ops().size() == 1
                    && rg.ops().size() == 1
                    && rp.ops().equals(rg.ops())
                    && (rp.ops().get(0).equals("=") || rp.ops().get(0).equals("!="))) {
                return proportional(difference(rp, 0), difference(rg, 0), false)
                        || (equivalent(rp.terms().get(0), rg.terms().get(0))
                                && equivalent(rp.terms().get(1), rg.terms().get(1)));
            }
            if (membership(rp) && membership(rg)) {
                return equivalent(rp.terms().get(0), rg.terms().get(0))
                        && equivalent(rp.terms().get(1), rg.terms().get(1));
            }
            if (inequalities(rp)
                    && inequalities(rg)
                    && rp.ops().size() == rg.ops().size()) {
                return orientedMatch(rp, rg, 0, new boolean[rg.ops().size()]);
            }
            MathExpr sp = asSet(rp);
            MathExpr sg = asSet(rg);
            return sp != null && sg != null && equivalent(sp, sg);
        }
        if (p instanceof Relation rp) {
            if (rp.ops().stream().allMatch("="::equals)) {
                return equivalent(last(rp), g);
            }
            MathExpr set = asSet(rp);
            return set != null && equivalent(set, g);
        }
        Relation rg = (Relation) g;
        if (assignment(rg)) {
            return equivalent(p, last(rg));
        }
        MathExpr set = asSet(rg);
        return set != null && !(p instanceof Relation) && setLike(p) && equivalent(p, set);
    }

    private static boolean setLike(MathExpr e) {
        return e instanceof Bracketed || e instanceof Union || e instanceof SetOf;
    }

    /** An equation chain naming its value: some term before the last is made of symbols only. */
    private static boolean assignment(Relation r) {
        return r.ops().stream().allMatch("="::equals)
                && r.terms().subList(0, r.terms().size() - 1).stream().anyMatch(MathEquivalence::symbolsOnly);
    }

    private static MathExpr name(Relation r) {
        return r.terms().stream()
                .filter(MathEquivalence::symbolsOnly)
                .findFirst()
                .orElseThrow();
    }

    private static MathExpr last(Relation r) {
        return r.terms().get(r.terms().size() - 1);
    }

    /** {@code x}, {@code AB}, {@code NO/BO}, {@code f(x)}, {@code (p, q)}: a name, not a value. */
    static boolean symbolsOnly(MathExpr e) {
        if (e instanceof Sym) {
            return true;
        } else if (e instanceof Mul m) {
            return m.factors().stream().allMatch(MathEquivalence::symbolsOnly);
        } else if (e instanceof Div d) {
            return symbolsOnly(d.numerator()) && symbolsOnly(d.denominator());
        } else if (e instanceof Bracketed b) {
            return b.items().stream().allMatch(MathEquivalence::symbolsOnly);
        }
        return false;
    }

    private static boolean membership(Relation r) {
        return r.ops().size() == 1 && r.ops().get(0).equals("in");
    }

    private static boolean inequalities(Relation r) {
        return r.ops().stream().allMatch(o -> o.startsWith("<") || o.startsWith(">"));
    }

    private static MathExpr difference(Relation r, int i) {
        return new Add(List.of(r.terms().get(i), new Neg(r.terms().get(i + 1))));
    }

    /** Relation i as {@code d > 0} or {@code d >= 0}: the larger side minus the smaller. */
    private static MathExpr oriented(Relation r, int i) {
        MathExpr a = r.terms().get(i);
        MathExpr b = r.terms().get(i + 1);
        return r.ops().get(i).startsWith("<") ? new Add(List.of(b, new Neg(a))) : new Add(List.of(a, new Neg(b)));
    }

    private static boolean strict(Relation r, int i) {
        return !r.ops().get(i).endsWith("=");
    }

    private boolean orientedMatch(Relation p, Relation g, int i, boolean[] used) {
        if (i == p.ops().size()) {
            return true;
        }
        for (int j = 0; j < g.ops().size(); j++) {
            if (!used[j] && strict(p, i) == strict(g, j) && proportional(oriented(p, i), oriented(g, j), true)) {
                used[j] = true;
                if (orientedMatch(p, g, i + 1, used)) {
                    return true;
                }
                used[j] = false;
            }
        }
        return false;
    }

    /** {@code x \in S} is S; {@code a < x <= b} and {@code x > a} are intervals; else null. */
    private static MathExpr asSet(Relation r) {
        if (membership(r) && symbolsOnly(r.terms().get(0))) {
            return r.terms().get(1);
        }
        if (!inequalities(r) || r.ops().size() > 2) {
            return null;
        }
        boolean ascending = r.ops().get(0).startsWith("<");
        if (r.ops().stream().anyMatch(o -> o.startsWith("<") != ascending)) {
            return null;
        }
        List<MathExpr> t = new ArrayList<>(r.terms());
        List<Boolean> strict = new ArrayList<>();
        for (int i = 0; i < r.ops().size(); i++) {
            strict.add(strict(r, i));
        }
        if (!ascending) {
            Collections.reverse(t);
            Collections.reverse(strict);
        }
        if (t.size() == 3 && constant(t.get(0)) && symbolsOnly(t.get(1)) && constant(t.get(2))) {
            return interval(t.get(0), strict.get(0), t.get(2), strict.get(1));
        }
        if (t.size() == 2 && symbolsOnly(t.get(0)) && constant(t.get(1))) {
            return interval(new Neg(INFINITY), true, t.get(1), strict.get(0));
        }
        if (t.size() == 2 && constant(t.get(0)) && symbolsOnly(t.get(1))) {
            return interval(t.get(0), strict.get(0), INFINITY, true);
        }
        return null;
    }

    private static MathExpr interval(MathExpr lo, boolean loOpen, MathExpr hi, boolean hiOpen) {
        return new Bracketed(List.of(lo, hi), loOpen ? '(' : '[', hiOpen ? ')' : ']');
    }

    private static boolean constant(MathExpr e) {
        return MathTrees.symbols(e).isEmpty();
    }

    // ---- values

    private boolean values(MathExpr p, MathExpr g) {
        boolean pInf = MathTrees.any(p, x -> x.equals(INFINITY));
        boolean gInf = MathTrees.any(g, x -> x.equals(INFINITY));
        if (pInf || gInf) {
            return pInf
                    && gInf
                    && MathTrees.infinitySign(p) != 0
                    && MathTrees.infinitySign(p) == MathTrees.infinitySign(g);
        }
        boolean percent = MathTrees.any(p, x -> x instanceof MathExpr.Percent)
                || MathTrees.any(g, x -> x instanceof MathExpr.Percent);
        List<Map<String, BigRational>> points = points(p, g);
        return sameAtPoints(p, g, points, false) || (percent && sameAtPoints(p, g, points, true));
    }

    private static List<Map<String, BigRational>> points(MathExpr p, MathExpr g) {
        Set<String> names = new TreeSet<>(MathTrees.symbols(p));
        names.addAll(MathTrees.symbols(g));
        if (names.isEmpty()) {
            return List.of(Map.of());
        }
        Random random = new Random(20240917L);
        List<Map<String, BigRational>> points = new ArrayList<>();
        for (int i = 0; i < POINTS; i++) {
            Map<String, BigRational> env = new TreeMap<>();
            for (String n : names) {
                // positive, non-integer, well away from 0 and 1 so roots and logs stay defined
                env.put(n, BigRational.of(3 + random.nextInt(89), 2 + random.nextInt(11)));
            }
            points.add(env);
        }
        return points;
    }

    private boolean sameAtPoints(MathExpr p, MathExpr g, List<Map<String, BigRational>> points, boolean percent) {
        int compared = 0;
        for (Map<String, BigRational> env : points) {
            MathEvaluator ev = new MathEvaluator(env, percent, 1);
            Value a;
            Value b;
            try {
                a = ev.eval(p);
                b = ev.eval(g);
            } catch (EvalException e) {
                continue; // a pole or a domain error at this point: try the others
            }
            if (!same(a, b, p, g, env.isEmpty())) {
                return false;
            }
            compared++;
        }
        return compared >= Math.min(points.size(), 3);
    }

    private boolean same(Value a, Value b, MathExpr p, MathExpr g, boolean constants) {
        if (a instanceof MatrixValue x && b instanceof MatrixValue y) {
            if (x.cells().size() != y.cells().size()
                    || x.cells().get(0).size() != y.cells().get(0).size()) {
                return false;
            }
            for (int i = 0; i < x.cells().size(); i++) {
                for (int j = 0; j < x.cells().get(i).size(); j++) {
                    if (!x.cells().get(i).get(j).sameAs(y.cells().get(i).get(j))) {
                        return false;
                    }
                }
            }
            return true;
        }
        if (!(a instanceof Scalar x) || !(b instanceof Scalar y)) {
            return false;
        }
        if (x.sameAs(y)) {
            return true;
        }
        if (!constants) {
            return false;
        }
        BigDecimal diff = x.approx().subtract(y.approx()).abs();
        int digits = Math.max(MathTrees.decimalDigits(p), MathTrees.decimalDigits(g));
        boolean oneRounded = (MathTrees.decimalDigits(p) >= 0) != (MathTrees.decimalDigits(g) >= 0);
        if (oneRounded
                && digits >= options.roundedDecimalDigits()
                && diff.compareTo(BigDecimal.ONE.movePointLeft(digits)) <= 0) {
            return true;
        }
        if (options.relativeTolerance() > 0) {
            BigDecimal scale = x.approx().abs().max(y.approx().abs());
            return diff.compareTo(scale.multiply(BigDecimal.valueOf(options.relativeTolerance()))) <= 0;
        }
        return false;
    }

    /** Whether d1 = c * d2 for one constant c (nonzero; positive when {@code positive}). */
    private boolean proportional(MathExpr d1, MathExpr d2, boolean positive) {
        List<Map<String, BigRational>> points = points(d1, d2);
        if (points.size() == 1) {
            return false; // no unknowns: a numeric identity, compared term by term instead
        }
        Scalar ratio = null;
        int compared = 0;
        for (Map<String, BigRational> env : points) {
            MathEvaluator ev = new MathEvaluator(env, false, 1);
            try {
                if (!(ev.eval(d1) instanceof Scalar a) || !(ev.eval(d2) instanceof Scalar b)) {
                    return false;
                }
                Scalar zero = Scalar.of(BigRational.ZERO);
                if (b.sameAs(zero)) {
                    if (!a.sameAs(zero)) {
                        return false;
                    }
                    continue;
                }
                Scalar r = MathTrees.ratio(a, b);
                if (ratio == null) {
                    if (r.sameAs(zero) || (positive && r.approx().signum() <= 0)) {
                        return false;
                    }
                    ratio = r;
                } else if (!ratio.sameAs(r)) {
                    return false;
                }
                compared++;
            } catch (EvalException e) {
                // skip this point
            }
        }
        return compared >= 2;
    }
}
