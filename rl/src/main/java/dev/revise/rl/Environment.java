package dev.revise.rl;

/** A stateless factory of episodes; shareable across threads. */
public interface Environment {
    Episode start(Task task, long seed);

    /**
     * The longest attempt, in characters, the environment grades (0: no limit). The rollout worker
     * cuts longer completions at the last whole token that fits, so the tokens trained are those of
     * the text graded.
     */
    default int maxCharsPerTurn() {
        return 0;
    }
}
