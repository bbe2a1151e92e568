package dev.revise.rl;

/**
 * The ground-truth check of one response: deterministic, never a model.
 *
 * @param correct whether the response solves the task
 * @param credit partial credit in [0, 1] (1 when correct; e.g. the fraction of tests passed)
 * @param extracted the final answer found in the response, or null if none could be parsed
 * @param reason a short human-readable explanation (what was compared, which test failed)
 */
public record Verdict(boolean correct, double credit, String extracted, String reason) {
    public Verdict {
        if (!(credit >= 0 && credit <= 1)) {
            throw new IllegalArgumentException("verdict credit must be in [0, 1], got " + credit);
        }
        if (correct && credit != 1.0) {
            throw new IllegalArgumentException("a correct verdict must have credit 1, got " + credit);
        }
        if (reason == null) {
            throw new IllegalArgumentException("verdict reason must not be null");
        }
    }

    public static Verdict correct(String extracted, String reason) {
        return new Verdict(true, 1.0, extracted, reason);
    }

    public static Verdict incorrect(String extracted, double credit, String reason) {
        return new Verdict(false, credit, extracted, reason);
    }

    /** No answer could be extracted: the format term's failure case. */
    public static Verdict unparseable(String reason) {
        return new Verdict(false, 0.0, null, reason);
    }

    /** Whether an answer was found at all (independent of correctness). */
    public boolean parsed() {
        return extracted != null;
    }

    /** 1 if correct else 0. */
    public double binary() {
        return correct ? 1.0 : 0.0;
    }
}
