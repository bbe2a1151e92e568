package dev.revise.rl;

import java.util.List;

/**
 * A finished episode.
 *
 * @param taskId the task's id
 * @param groupId the group of samples of the same task this one belongs to (GRPO/RLOO baselines)
 * @param turns the attempts in order
 * @param policyVersion the policy version that generated every turn
 * @param seed the episode's seed
 */
public record Trajectory(String taskId, String groupId, List<Turn> turns, long policyVersion, long seed) {
    public Trajectory {
        turns = List.copyOf(turns);
        for (int i = 0; i < turns.size(); i++) {
            if (turns.get(i).index() != i) {
                throw new IllegalArgumentException("trajectory of task '" + taskId + "': turn " + i + " has index "
                        + turns.get(i).index());
            }
        }
    }

    public int size() {
        return turns.size();
    }

    public Turn turn(int i) {
        return turns.get(i);
    }

    public Turn last() {
        return turns.get(turns.size() - 1);
    }
}
