package dev.revise.envs.grading;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.util.Optional;

/** An exact rational p/q in lowest terms with q > 0; the arithmetic of the symbolic grader. */
record BigRational(BigInteger num, BigInteger den) implements Comparable<BigRational> {
    static final BigRational ZERO = new BigRational(BigInteger.ZERO, BigInteger.ONE);
    static final BigRational ONE = new BigRational(BigInteger.ONE, BigInteger.ONE);
    /** Bounds the size of exact results so that adversarial powers cannot exhaust memory. */
    private static final int MAX_BITS = 4096;

    BigRational {
        if (den.signum() == 0) {
            throw new ArithmeticException("zero denominator");
        }
        if (den.signum() < 0) {
            num = num.negate();
            den = den.negate();
        }
        BigInteger g = num.gcd(den);
        if (g.signum() != 0 && !g.equals(BigInteger.ONE)) {
            num = num.divide(g);
            den = den.divide(g);
        }
        if (num.bitLength() > MAX_BITS || den.bitLength() > MAX_BITS) {
            throw new ArithmeticException("rational too large");
        }
    }

    static BigRational of(long n) {
        return new BigRational(BigInteger.valueOf(n), BigInteger.ONE);
    }

    static BigRational of(long n, long d) {
        return new BigRational(BigInteger.valueOf(n), BigInteger.valueOf(d));
    }

    /** The exact value of a decimal literal such as {@code 12.50} or {@code .5}. */
    static BigRational parseDecimal(String s) {
        BigDecimal d = new BigDecimal(s);
        return d.scale() <= 0
                ? new BigRational(d.toBigIntegerExact(), BigInteger.ONE)
                : new BigRational(d.unscaledValue(), BigInteger.TEN.pow(d.scale()));
    }

    BigRational add(BigRational o) {
        return new BigRational(num.multiply(o.den).add(o.num.multiply(den)), den.multiply(o.den));
    }

    BigRational subtract(BigRational o) {
        return add(o.negate());
    }

    BigRational multiply(BigRational o) {
        return new BigRational(num.multiply(o.num), den.multiply(o.den));
    }

    BigRational divide(BigRational o) {
        return new BigRational(num.multiply(o.den), den.multiply(o.num));
    }

    BigRational negate() {
        return new BigRational(num.negate(), den);
    }

    BigRational pow(int e) {
        if (Math.abs((long) e) * Math.max(num.bitLength(), den.bitLength()) > MAX_BITS) {
            throw new ArithmeticException("power too large");
        }
        BigRational r = new BigRational(num.pow(Math.abs(e)), den.pow(Math.abs(e)));
        return e >= 0 ? r : ONE.divide(r);
    }

    /** The exact n-th root if there is one (a perfect power), else empty. */
    Optional<BigRational> root(int n) {
        if (n <= 0 || (num.signum() < 0 && n % 2 == 0)) {
            return Optional.empty();
        }
        Optional<BigInteger> p = integerRoot(num.abs(), n);
        Optional<BigInteger> q = integerRoot(den, n);
        if (p.isEmpty() || q.isEmpty()) {
            return Optional.empty();
        }
        BigInteger top = num.signum() < 0 ? p.get().negate() : p.get();
        return Optional.of(new BigRational(top, q.get()));
    }

    private static Optional<BigInteger> integerRoot(BigInteger x, int n) {
        if (x.signum() == 0 || x.equals(BigInteger.ONE)) {
            return Optional.of(x);
        }
        BigInteger r =
                n == 2 ? x.sqrt() : new BigDecimal(Math.round(Math.pow(x.doubleValue(), 1.0 / n))).toBigInteger();
        for (BigInteger c = r.subtract(BigInteger.ONE).max(BigInteger.ZERO);
                c.compareTo(r.add(BigInteger.ONE)) <= 0;
                c = c.add(BigInteger.ONE)) {
            if (c.pow(n).equals(x)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    boolean isInteger() {
        return den.equals(BigInteger.ONE);
    }

    int signum() {
        return num.signum();
    }

    BigDecimal toBigDecimal(MathContext mc) {
        return new BigDecimal(num).divide(new BigDecimal(den), mc);
    }

    @Override
    public int compareTo(BigRational o) {
        return num.multiply(o.den).compareTo(o.num.multiply(den));
    }

    @Override
    public String toString() {
        return isInteger() ? num.toString() : num + "/" + den;
    }
}
