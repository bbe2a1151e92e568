package dev.revise.rl;

/**
 * What the environment says after an attempt.
 *
 * @param message text shown to the policy before its next attempt (empty when the episode ends)
 * @param done whether the episode is over
 */
public record Feedback(String message, boolean done) {
    public Feedback {
        if (message == null) {
            throw new IllegalArgumentException("feedback message must not be null (use \"\")");
        }
    }

    public static Feedback end() {
        return new Feedback("", true);
    }

    public static Feedback retry(String message) {
        return new Feedback(message, false);
    }
}
