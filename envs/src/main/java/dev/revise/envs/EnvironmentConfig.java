package dev.revise.envs;

/**
 * How a self-correction episode unfolds.
 *
 * @param turns attempts per episode, K (2 for SCoRe, 5 for RISE evaluation)
 * @param promptTemplate the first user message; {@code {prompt}} is replaced by the task's text
 * @param feedback what is said between attempts
 * @param instruction the fixed text of {@link FeedbackMode#INTRINSIC}
 * @param retryMessage the text of the oracle modes after a wrong attempt
 * @param hintTemplate the text of {@link FeedbackMode#HINT}; {@code {reason}} is the verifier's reason
 * @param window keep only the last k attempts (and their feedback) in the prompt; 0 keeps all
 * @param maxCharsPerTurn an attempt longer than this is cut before it is verified; 0 = no limit
 * @param maxTokensPerTurn the sampling budget of each attempt (what rollout workers pass as
 *     maxNewTokens)
 */
public record EnvironmentConfig(
        int turns,
        String promptTemplate,
        FeedbackMode feedback,
        String instruction,
        String retryMessage,
        String hintTemplate,
        int window,
        int maxCharsPerTurn,
        int maxTokensPerTurn) {

    /** SCoRe's turn-2 instruction for math (docs/algorithms.md, SCoRe). */
    public static final String SCORE_MATH_INSTRUCTION = "There might be an error in the solution above because of lack"
            + " of understanding of the question. Please correct the error, if any, and rewrite the solution.";

    /** SCoRe's code variant. */
    public static final String SCORE_CODE_INSTRUCTION = "There might be an error in the code above because of lack of"
            + " understanding of the question. Please correct the error, if any, and rewrite the solution. Only output"
            + " the final correct Python program!";

    /** RISE's feedback after a wrong attempt. */
    public static final String RISE_RETRY = "The answer is incorrect. Please try again.";

    public static final String DEFAULT_HINT = "Your answer is incorrect: {reason} Please try again.";

    public EnvironmentConfig {
        if (turns < 1) {
            throw new IllegalArgumentException("env.turns must be >= 1, got " + turns);
        }
        if (promptTemplate == null || !promptTemplate.contains("{prompt}")) {
            throw new IllegalArgumentException(
                    "env.prompt_template must contain {prompt}, got " + quote(promptTemplate));
        }
        if (feedback == null) {
            throw new IllegalArgumentException("env.feedback must be set");
        }
        if (instruction == null || retryMessage == null) {
            throw new IllegalArgumentException("env.instruction and env.retry_message must not be null");
        }
        if (hintTemplate == null || !hintTemplate.contains("{reason}")) {
            throw new IllegalArgumentException("env.hint_template must contain {reason}, got " + quote(hintTemplate));
        }
        if (window < 0) {
            throw new IllegalArgumentException("env.window must be >= 0 (0 keeps every attempt), got " + window);
        }
        if (maxCharsPerTurn < 0) {
            throw new IllegalArgumentException(
                    "env.max_chars_per_turn must be >= 0 (0 = no limit), got " + maxCharsPerTurn);
        }
        if (maxTokensPerTurn < 1) {
            throw new IllegalArgumentException("env.max_tokens_per_turn must be >= 1, got " + maxTokensPerTurn);
        }
    }

    private static String quote(String s) {
        return s == null ? "null" : "'" + s + "'";
    }

    /** SCoRe: two attempts, intrinsic instruction. */
    public static EnvironmentConfig score(String promptTemplate, int maxTokensPerTurn) {
        return new EnvironmentConfig(
                2,
                promptTemplate,
                FeedbackMode.INTRINSIC,
                SCORE_MATH_INSTRUCTION,
                RISE_RETRY,
                DEFAULT_HINT,
                0,
                0,
                maxTokensPerTurn);
    }

    /** RISE: {@code turns} attempts with oracle feedback. */
    public static EnvironmentConfig rise(String promptTemplate, int turns, int maxTokensPerTurn) {
        return new EnvironmentConfig(
                turns,
                promptTemplate,
                FeedbackMode.ORACLE,
                SCORE_MATH_INSTRUCTION,
                RISE_RETRY,
                DEFAULT_HINT,
                0,
                0,
                maxTokensPerTurn);
    }

    public EnvironmentConfig withTurns(int k) {
        return new EnvironmentConfig(
                k,
                promptTemplate,
                feedback,
                instruction,
                retryMessage,
                hintTemplate,
                window,
                maxCharsPerTurn,
                maxTokensPerTurn);
    }

    public EnvironmentConfig withFeedback(FeedbackMode mode) {
        return new EnvironmentConfig(
                turns,
                promptTemplate,
                mode,
                instruction,
                retryMessage,
                hintTemplate,
                window,
                maxCharsPerTurn,
                maxTokensPerTurn);
    }

    public EnvironmentConfig withInstruction(String text) {
        return new EnvironmentConfig(
                turns,
                promptTemplate,
                feedback,
                text,
                retryMessage,
                hintTemplate,
                window,
                maxCharsPerTurn,
                maxTokensPerTurn);
    }

    public EnvironmentConfig withWindow(int k) {
        return new EnvironmentConfig(
                turns,
                promptTemplate,
                feedback,
                instruction,
                retryMessage,
                hintTemplate,
                k,
                maxCharsPerTurn,
                maxTokensPerTurn);
    }

    public EnvironmentConfig withMaxCharsPerTurn(int chars) {
        return new EnvironmentConfig(
                turns,
                promptTemplate,
                feedback,
                instruction,
                retryMessage,
                hintTemplate,
                window,
                chars,
                maxTokensPerTurn);
    }
}
