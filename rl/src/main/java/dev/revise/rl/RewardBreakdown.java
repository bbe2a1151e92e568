package dev.revise.rl;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-turn rewards of a trajectory and the named terms they are made of (for logging).
 *
 * @param perTurn the total reward credited to each turn (arrays compare by reference)
 * @param components each term's per-turn values, in configuration order; their weighted sum is
 *     {@code perTurn}
 */
public record RewardBreakdown(double[] perTurn, Map<String, double[]> components) {
    public RewardBreakdown {
        for (int i = 0; i < perTurn.length; i++) {
            if (!Double.isFinite(perTurn[i])) {
                throw new IllegalArgumentException("reward of turn " + i + " is " + perTurn[i]);
            }
        }
        Map<String, double[]> copy = new LinkedHashMap<>();
        for (Map.Entry<String, double[]> e : components.entrySet()) {
            if (e.getValue().length != perTurn.length) {
                throw new IllegalArgumentException("reward term '" + e.getKey() + "' has " + e.getValue().length
                        + " turns, the trajectory " + perTurn.length);
            }
            copy.put(e.getKey(), e.getValue().clone());
        }
        perTurn = perTurn.clone();
        components = Collections.unmodifiableMap(copy);
    }

    /** The sum over turns. */
    public double total() {
        return Arrays.stream(perTurn).sum();
    }

    public double turn(int i) {
        return perTurn[i];
    }
}
