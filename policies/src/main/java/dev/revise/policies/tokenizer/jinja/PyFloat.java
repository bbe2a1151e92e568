package dev.revise.policies.tokenizer.jinja;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Python's {@code repr(float)}: the shortest digits that read back as the same double, in fixed
 * notation for decimal exponents -4..15 and {@code 1e-05} style otherwise. Java's
 * {@code Double.toString} differs both in layout ({@code 1.0E-5}) and, before JDK 19, in digits.
 */
final class PyFloat {
    private PyFloat() {}

    static String repr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        BigDecimal exact = new BigDecimal(d);
        BigDecimal shortest = null;
        for (int p = 1; p <= 17; p++) {
            BigDecimal r = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
            if (r.doubleValue() == d) {
                shortest = r;
                break;
            }
        }
        if (shortest == null) {
            shortest = exact.round(new MathContext(17, RoundingMode.HALF_EVEN));
        }
        String sign = shortest.signum() < 0 ? "-" : "";
        BigDecimal abs = shortest.abs().stripTrailingZeros();
        String digits = abs.unscaledValue().toString();
        // Python's decpt: the value is 0.DIGITS * 10^decpt.
        int decpt = digits.length() - abs.scale();
        StringBuilder out = new StringBuilder(sign);
        if (decpt > -4 && decpt <= 16) {
            if (decpt <= 0) {
                out.append("0.").append("0".repeat(-decpt)).append(digits);
            } else if (decpt >= digits.length()) {
                out.append(digits).append("0".repeat(decpt - digits.length())).append(".0");
            } else {
                out.append(digits, 0, decpt).append('.').append(digits, decpt, digits.length());
            }
            return out.toString();
        }
        out.append(digits.charAt(0));
        if (digits.length() > 1) {
            out.append('.').append(digits, 1, digits.length());
        }
        int exp = decpt - 1;
        out.append('e').append(exp < 0 ? '-' : '+');
        int absExp = Math.abs(exp);
        if (absExp < 10) {
            out.append('0');
        }
        return out.append(absExp).toString();
    }
}
