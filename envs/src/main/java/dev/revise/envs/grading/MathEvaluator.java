package dev.revise.envs.grading;

import dev.revise.envs.grading.MathExpr.Add;
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
import dev.revise.envs.grading.MathExpr.Root;
import dev.revise.envs.grading.MathExpr.Sym;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;

/**
 * Evaluates a scalar or matrix {@link MathExpr} with symbols bound to rationals. Values stay exact
 * rationals through + - * / and integer powers (and roots of perfect powers), so polynomial and
 * rational identities are checked exactly; irrational steps switch to 60-digit decimals, and
 * transcendental functions to doubles, each flagged so the comparison can pick its tolerance.
 */
final class MathEvaluator {
    static final MathContext MC = new MathContext(60);
    private static final BigDecimal PI =
            new BigDecimal("3.14159265358979323846264338327950288419716939937510582097494459230781640628620899");
    private static final BigDecimal E =
            new BigDecimal("2.71828182845904523536028747135266249775724709369995957496696762772407663035354759");
    private static final BigDecimal HIGH_TOLERANCE = new BigDecimal("1e-40");
    private static final BigDecimal LOW_TOLERANCE = new BigDecimal("1e-9");

    static final class EvalException extends RuntimeException {
        EvalException(String message) {
            super(message);
        }
    }

    sealed interface Value {}

    /** A number: {@code exact} when known, {@code approx} always; {@code low} when from doubles. */
    record Scalar(BigRational exact, BigDecimal approx, boolean low) implements Value {
        static Scalar of(BigRational r) {
            return new Scalar(r, r.toBigDecimal(MC), false);
        }

        static Scalar approx(BigDecimal d, boolean low) {
            return new Scalar(null, d, low);
        }

        /** Equal exactly when both are exact, else within a relative tolerance set by precision. */
        boolean sameAs(Scalar o) {
            if (exact != null && o.exact != null) {
                return exact.equals(o.exact);
            }
            BigDecimal scale = BigDecimal.ONE.max(approx.abs()).max(o.approx.abs());
            BigDecimal tolerance = (low || o.low) ? LOW_TOLERANCE : HIGH_TOLERANCE;
            return approx.subtract(o.approx).abs().compareTo(tolerance.multiply(scale)) <= 0;
        }
    }

    record MatrixValue(List<List<Scalar>> cells) implements Value {}

    private final Map<String, BigRational> env;
    private final boolean percentAsFraction;
    private final int plusMinusSign;

    MathEvaluator(Map<String, BigRational> env, boolean percentAsFraction, int plusMinusSign) {
        this.env = env;
        this.percentAsFraction = percentAsFraction;
        this.plusMinusSign = plusMinusSign;
    }

    Value eval(MathExpr e) {
        try {
            return evalUnchecked(e);
        } catch (ArithmeticException ex) {
            throw new EvalException(ex.getMessage());
        }
    }

    private Value evalUnchecked(MathExpr e) {
        if (e instanceof Num n) {
            return Scalar.of(n.value());
        } else if (e instanceof Sym s) {
            BigRational v = env.get(s.name());
            if (v == null) {
                throw new EvalException("unbound " + s.name());
            }
            return Scalar.of(v);
        } else if (e instanceof Const c) {
            if (c.name().equals("pi")) {
                return Scalar.approx(PI, false);
            } else if (c.name().equals("e")) {
                return Scalar.approx(E, false);
            }
            throw new EvalException("cannot evaluate " + c.name());
        } else if (e instanceof Add a) {
            Value sum = eval(a.terms().get(0));
            for (MathExpr t : a.terms().subList(1, a.terms().size())) {
                sum = add(sum, eval(t));
            }
            return sum;
        } else if (e instanceof Mul m) {
            Value product = eval(m.factors().get(0));
            for (MathExpr f : m.factors().subList(1, m.factors().size())) {
                product = multiply(product, eval(f));
            }
            return product;
        } else if (e instanceof Neg n) {
            return negate(eval(n.operand()));
        } else if (e instanceof Div d) {
            return divide(scalar(d.numerator()), scalar(d.denominator()));
        } else if (e instanceof Pow p) {
            return pow(eval(p.base()), scalar(p.exponent()));
        } else if (e instanceof Root r) {
            return root(scalar(r.radicand()), integer(scalar(r.index())));
        } else if (e instanceof Func f) {
            return function(f);
        } else if (e instanceof Factorial f) {
            return factorial(scalar(f.operand()));
        } else if (e instanceof Percent p) {
            return percentAsFraction ? divide(scalar(p.operand()), Scalar.of(BigRational.of(100))) : eval(p.operand());
        } else if (e instanceof PlusMinus pm) {
            Value right = eval(pm.right());
            Value signed = (plusMinusSign > 0) != pm.minusPlus() ? right : negate(right);
            return pm.left() == null ? signed : add(eval(pm.left()), signed);
        } else if (e instanceof Matrix m) {
            List<List<Scalar>> rows = new ArrayList<>();
            for (List<MathExpr> row : m.rows()) {
                rows.add(row.stream().map(this::scalar).toList());
            }
            return new MatrixValue(rows);
        }
        throw new EvalException("not a scalar: " + e.getClass().getSimpleName());
    }

    private Scalar scalar(MathExpr e) {
        if (eval(e) instanceof Scalar s) {
            return s;
        }
        throw new EvalException("matrix where a number is needed");
    }

    private static Value add(Value a, Value b) {
        if (a instanceof Scalar x && b instanceof Scalar y) {
            return x.exact != null && y.exact != null
                    ? Scalar.of(x.exact.add(y.exact))
                    : Scalar.approx(x.approx.add(y.approx, MC), x.low || y.low);
        }
        if (a instanceof MatrixValue x && b instanceof MatrixValue y && sameShape(x, y)) {
            List<List<Scalar>> rows = new ArrayList<>();
            for (int i = 0; i < x.cells.size(); i++) {
                List<Scalar> row = new ArrayList<>();
                for (int j = 0; j < x.cells.get(i).size(); j++) {
                    row.add((Scalar) add(x.cells.get(i).get(j), y.cells.get(i).get(j)));
                }
                rows.add(row);
            }
            return new MatrixValue(rows);
        }
        throw new EvalException("cannot add a matrix and a number");
    }

    private static boolean sameShape(MatrixValue x, MatrixValue y) {
        return x.cells.size() == y.cells.size()
                && x.cells.get(0).size() == y.cells.get(0).size();
    }

    private static Value negate(Value v) {
        return multiply(Scalar.of(BigRational.of(-1)), v);
    }

    private static Value multiply(Value a, Value b) {
        if (a instanceof Scalar x && b instanceof Scalar y) {
            return x.exact != null && y.exact != null
                    ? Scalar.of(x.exact.multiply(y.exact))
                    : Scalar.approx(x.approx.multiply(y.approx, MC), x.low || y.low);
        }
        if (a instanceof Scalar x && b instanceof MatrixValue m) {
            return new MatrixValue(m.cells.stream()
                    .map(row -> row.stream().map(c -> (Scalar) multiply(x, c)).toList())
                    .toList());
        }
        if (a instanceof MatrixValue m && b instanceof Scalar x) {
            return multiply(x, m);
        }
        MatrixValue x = (MatrixValue) a;
        MatrixValue y = (MatrixValue) b;
        int n = x.cells.size();
        int k = x.cells.get(0).size();
        int m = y.cells.get(0).size();
        if (y.cells.size() != k) {
            throw new EvalException("matrix shapes do not match");
        }
        List<List<Scalar>> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<Scalar> row = new ArrayList<>();
            for (int j = 0; j < m; j++) {
                Value sum = Scalar.of(BigRational.ZERO);
                for (int t = 0; t < k; t++) {
                    sum = add(
                            sum, multiply(x.cells.get(i).get(t), y.cells.get(t).get(j)));
                }
                row.add((Scalar) sum);
            }
            rows.add(row);
        }
        return new MatrixValue(rows);
    }

    private static Scalar divide(Scalar a, Scalar b) {
        if (a.exact != null && b.exact != null) {
            return Scalar.of(a.exact.divide(b.exact));
        }
        if (b.approx.abs().compareTo(new BigDecimal("1e-50")) < 0) {
            throw new EvalException("division by zero");
        }
        return Scalar.approx(a.approx.divide(b.approx, MC), a.low || b.low);
    }

    private static Value pow(Value base, Scalar exponent) {
        if (base instanceof MatrixValue) {
            int n = integer(exponent);
            if (n < 1 || n > 20) {
                throw new EvalException("unsupported matrix power");
            }
            Value r = base;
            for (int i = 1; i < n; i++) {
                r = multiply(r, base);
            }
            return r;
        }
        Scalar b = (Scalar) base;
        BigRational x = exponent.exact;
        if (x != null && x.den().bitLength() < 11 && x.num().bitLength() < 14) {
            int p = x.num().intValueExact();
            int q = x.den().intValueExact();
            Scalar rooted = q == 1 ? b : root(b, q);
            if (rooted.exact != null) {
                return Scalar.of(rooted.exact.pow(p));
            }
            if (rooted.approx.signum() == 0 && p < 0) {
                throw new EvalException("division by zero");
            }
            return Scalar.approx(rooted.approx.pow(p, MC), rooted.low);
        }
        if (b.approx.signum() <= 0) {
            throw new EvalException("non-integer power of a non-positive number");
        }
        return viaDouble(Math.pow(b.approx.doubleValue(), exponent.approx.doubleValue()));
    }

    private static Scalar root(Scalar b, int n) {
        if (n < 1) {
            throw new EvalException("bad root index");
        }
        if (b.exact != null) {
            var exact = b.exact.root(n);
            if (exact.isPresent()) {
                return Scalar.of(exact.get());
            }
        }
        int sign = b.approx.signum();
        if (sign < 0 && n % 2 == 0) {
            throw new EvalException("even root of a negative number");
        }
        if (sign == 0) {
            return Scalar.of(BigRational.ZERO);
        }
        BigDecimal a = b.approx.abs();
        BigDecimal r;
        if (n == 2) {
            r = a.sqrt(MC);
        } else {
            double guess = Math.pow(a.doubleValue(), 1.0 / n);
            if (!Double.isFinite(guess) || guess == 0) {
                throw new EvalException("root out of range");
            }
            r = new BigDecimal(guess);
            BigDecimal bn = BigDecimal.valueOf(n);
            for (int i = 0; i < 8; i++) { // Newton: quadratic convergence from 16 digits
                r = r.multiply(bn.subtract(BigDecimal.ONE))
                        .add(a.divide(r.pow(n - 1, MC), MC))
                        .divide(bn, MC);
            }
        }
        return Scalar.approx(sign < 0 ? r.negate() : r, b.low);
    }

    private static int integer(Scalar s) {
        if (s.exact == null || !s.exact.isInteger() || s.exact.num().bitLength() > 20) {
            throw new EvalException("not a small integer");
        }
        return s.exact.num().intValueExact();
    }

    private static Scalar factorial(Scalar s) {
        int n = integer(s);
        if (n < 0 || n > 500) {
            throw new EvalException("factorial out of range");
        }
        BigInteger f = BigInteger.ONE;
        for (int i = 2; i <= n; i++) {
            f = f.multiply(BigInteger.valueOf(i));
        }
        return Scalar.of(new BigRational(f, BigInteger.ONE));
    }

    private Value function(Func f) {
        Scalar x = scalar(f.args().get(0));
        switch (f.name()) {
            case "abs":
                return x.exact != null
                        ? Scalar.of(x.exact.signum() < 0 ? x.exact.negate() : x.exact)
                        : Scalar.approx(x.approx.abs(), x.low);
            case "sin":
                return apply(Math::sin, x);
            case "cos":
                return apply(Math::cos, x);
            case "tan":
                return apply(Math::tan, x);
            case "sec":
                return apply(v -> 1 / Math.cos(v), x);
            case "csc":
                return apply(v -> 1 / Math.sin(v), x);
            case "cot":
                return apply(v -> 1 / Math.tan(v), x);
            case "arcsin":
                return apply(Math::asin, x);
            case "arccos":
                return apply(Math::acos, x);
            case "arctan":
                return apply(Math::atan, x);
            case "sinh":
                return apply(Math::sinh, x);
            case "cosh":
                return apply(Math::cosh, x);
            case "tanh":
                return apply(Math::tanh, x);
            case "exp":
                return apply(Math::exp, x);
            case "ln":
                return apply(Math::log, x);
            case "lg":
                return apply(Math::log10, x);
            case "log":
                return f.args().size() > 1
                        ? divide(
                                apply(Math::log, x),
                                apply(Math::log, scalar(f.args().get(1))))
                        : apply(Math::log10, x);
            default:
                return opaque(f.name(), x);
        }
    }

    /**
     * An undefined function (f(x), a sum): a fixed rational function seeded by the name, so equal
     * arguments give equal values and different arguments almost surely do not.
     */
    private static Scalar opaque(String name, Scalar x) {
        int h = name.hashCode();
        BigRational a = BigRational.of(3 + Math.floorMod(h, 17));
        BigRational b = BigRational.of(1 + Math.floorMod(h >> 8, 13));
        BigRational c = BigRational.of(2 + Math.floorMod(h >> 16, 11));
        Scalar top = (Scalar) add(multiply(Scalar.of(a), x), Scalar.of(b));
        Scalar bottom = (Scalar) add(multiply(x, x), Scalar.of(c));
        return divide(top, bottom);
    }

    private static Scalar apply(DoubleUnaryOperator f, Scalar x) {
        return viaDouble(f.applyAsDouble(x.approx.doubleValue()));
    }

    private static Scalar viaDouble(double v) {
        if (!Double.isFinite(v)) {
            throw new EvalException("not finite");
        }
        return Scalar.approx(new BigDecimal(v), true);
    }
}
