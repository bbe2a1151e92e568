package dev.revise.envs.grading;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Exact numeric answers: integers with signs and thousands separators, decimals, fractions
 * ({@code 1/2}, {@code \frac{1}{2}}, {@code \dfrac12}), percentages, and common wrappers ({@code $},
 * {@code \text{...}} units, a trailing period). Values are compared as exact rationals
 * (numerator/denominator BigIntegers), never as floating point.
 */
public final class NumericAnswer {
    private static final Pattern FRAC = Pattern.compile("^(-?)\\\\[dt]?frac\\s*\\{?(-?\\d+)\\}?\\s*\\{?(-?\\d+)\\}?$");
    private static final Pattern SLASH = Pattern.compile("^(-?\\d+)\\s*/\\s*(-?\\d+)$");
    private static final Pattern DECIMAL = Pattern.compile("^-?(\\d+(\\.\\d*)?|\\.\\d+)$");

    private NumericAnswer() {}

    /** An exact rational p/q in lowest terms with q > 0. */
    public record Rational(BigInteger numerator, BigInteger denominator) {
        public static Rational of(BigInteger p, BigInteger q) {
            if (q.signum() == 0) {
                throw new ArithmeticException("zero denominator");
            }
            if (q.signum() < 0) {
                p = p.negate();
                q = q.negate();
            }
            BigInteger g = p.gcd(q);
            if (g.signum() != 0 && !g.equals(BigInteger.ONE)) {
                p = p.divide(g);
                q = q.divide(g);
            }
            return new Rational(p, q);
        }

        static Rational of(BigDecimal d) {
            return d.scale() <= 0
                    ? of(d.toBigIntegerExact(), BigInteger.ONE)
                    : of(d.unscaledValue(), BigInteger.TEN.pow(d.scale()));
        }
    }

    /** The exact value of an answer string, if it is a number in one of the supported forms. */
    public static Optional<Rational> parse(String answer) {
        String s = normalise(answer);
        boolean percent = s.endsWith("%");
        if (percent) {
            s = s.substring(0, s.length() - 1).strip();
        }
        Optional<Rational> value = parseBare(s);
        if (percent) {
            return value.map(r -> Rational.of(r.numerator(), r.denominator().multiply(BigInteger.valueOf(100))));
        }
        return value;
    }

    private static Optional<Rational> parseBare(String s) {
        try {
            if (DECIMAL.matcher(s).matches()) {
                return Optional.of(Rational.of(new BigDecimal(s)));
            }
            Matcher slash = SLASH.matcher(s);
            if (slash.matches()) {
                return Optional.of(Rational.of(new BigInteger(slash.group(1)), new BigInteger(slash.group(2))));
            }
            Matcher frac = FRAC.matcher(s);
            if (frac.matches()) {
                Rational r = Rational.of(new BigInteger(frac.group(2)), new BigInteger(frac.group(3)));
                return Optional.of(
                        frac.group(1).isEmpty() ? r : Rational.of(r.numerator().negate(), r.denominator()));
            }
        } catch (ArithmeticException | NumberFormatException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** Strips wrappers that do not change a number's value. */
    static String normalise(String answer) {
        String s = answer.strip();
        s = s.replaceAll("\\\\(text|mathrm|textbf|mbox)\\{[^{}]*\\}", " ").strip(); // units in \text{}
        s = s.replace("$", "")
                .replace("\\!", "")
                .replace("\\,", "")
                .replace("\\%", "%")
                .replace("\\left", "")
                .replace("\\right", "");
        s = s.replaceAll("^\\\\\\(|\\\\\\)$", "");
        s = s.replaceAll(
                "(?i)\\s*(dollars?|cents?|units?|meters?|cm|km|kg|hours?|minutes?|days?|years?|miles?)\\s*$", "");
        s = s.replaceAll("[.]\\s*$", "").strip();
        if (s.matches("-?\\d{1,3}(,\\d{3})+(\\.\\d+)?")) {
            s = s.replace(",", "");
        }
        if (s.startsWith("+")) {
            s = s.substring(1);
        }
        return s.strip();
    }

    /** Whether two answers denote the same number (false if either is not a number). */
    public static boolean equivalent(String a, String b) {
        Optional<Rational> x = parse(a);
        Optional<Rational> y = parse(b);
        return x.isPresent() && x.equals(y);
    }
}
