package dev.revise.envs.grading;

/**
 * How lenient answer equivalence is.
 *
 * @param orderedLists whether several answers separated by commas must come in the same order
 *     (MATH-style "1, 2" lists are usually unordered; some graders disagree)
 * @param relativeTolerance accepted relative error between two constants; 0 means exact, the
 *     default, since most tasks ask for exact answers
 * @param roundedDecimalDigits a decimal with at least this many digits after the point, compared
 *     with an exact value, is read as that value rounded or truncated ({@code 0.0833333333} for
 *     1/12); shorter decimals are exact ({@code 1.414} is not {@code \sqrt2})
 */
public record GradingOptions(boolean orderedLists, double relativeTolerance, int roundedDecimalDigits) {
    public static final GradingOptions DEFAULT = new GradingOptions(false, 0, 6);

    public GradingOptions {
        if (!(relativeTolerance >= 0 && relativeTolerance < 1)) {
            throw new IllegalArgumentException("relativeTolerance must be in [0, 1), got " + relativeTolerance);
        }
        if (roundedDecimalDigits < 1) {
            throw new IllegalArgumentException("roundedDecimalDigits must be at least 1, got " + roundedDecimalDigits);
        }
    }
}
