package dev.revise.envs;

import java.util.Locale;

/** What the environment tells the policy between attempts. */
public enum FeedbackMode {
    /**
     * SCoRe: the same fixed instruction after every attempt, right or wrong; nothing about
     * correctness leaks, so whatever the policy changes at the next turn is its own decision.
     */
    INTRINSIC,
    /** RISE: "incorrect, try again" after a wrong attempt; the episode ends at the first correct one. */
    ORACLE,
    /** RISE evaluation without an oracle: always "incorrect", never stop early (majority over turns). */
    ORACLE_ALWAYS_RETRY,
    /** The verifier's reason is shown after a wrong attempt (e.g. failing test output); ends when correct. */
    HINT;

    /** The configuration spelling: {@code intrinsic}, {@code oracle}, {@code oracle-always-retry}, {@code hint}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static FeedbackMode parse(String name) {
        for (FeedbackMode m : values()) {
            if (m.configName().equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException(
                "feedback mode must be intrinsic, oracle, oracle-always-retry or hint, got '" + name + "'");
    }

    /** Whether a correct attempt ends the episode. */
    boolean stopsWhenCorrect() {
        return this == ORACLE || this == HINT;
    }
}
