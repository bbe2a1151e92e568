package dev.revise.rl;

import java.util.List;

/**
 * One attempt within an episode.
 *
 * @param index 0-based attempt number
 * @param prompt the conversation the policy saw before this attempt
 * @param completion what the policy wrote
 * @param verdict the verifier's check of this attempt
 * @param feedback what the environment said after it
 */
public record Turn(int index, List<Message> prompt, Completion completion, Verdict verdict, Feedback feedback) {
    public Turn {
        if (index < 0) {
            throw new IllegalArgumentException("turn index must be >= 0, got " + index);
        }
        prompt = List.copyOf(prompt);
    }
}
