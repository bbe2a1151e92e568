package dev.revise.rl;

import java.util.List;

/**
 * The state of one multi-turn trajectory. Not thread-safe: one owner advances it.
 *
 * <p>Loop: while {@link #isDone()} is false, sample a completion for {@link #conversation()} and
 * pass it to {@link #respond}; the episode verifies the attempt, records its {@link Verdict} on a
 * {@link Turn} and returns the {@link Feedback}.
 */
public interface Episode {
    Task task();

    /** The messages the policy sees before its next attempt. */
    List<Message> conversation();

    /** Verifies and records an attempt; returns what the environment says next. */
    Feedback respond(Completion completion);

    boolean isDone();

    /** The attempts so far. */
    List<Turn> turns();

    /** The finished trajectory (only when {@link #isDone()}). */
    Trajectory trajectory(String groupId, long policyVersion);
}
