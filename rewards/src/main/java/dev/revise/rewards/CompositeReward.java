package dev.revise.rewards;

import dev.revise.rl.RewardBreakdown;
import dev.revise.rl.RewardFunction;
import dev.revise.rl.Trajectory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A weighted sum of named terms, each optionally restricted to some turns, with an optional
 * discount across turns: reward_t = gamma^t * sum over terms of weight * [t in turns] * value_t
 * (t = 0 for the first turn; gamma = 1 means no discount). Every term's weighted, scheduled values
 * appear in the breakdown under its name; their sum is the per-turn reward.
 */
public final class CompositeReward implements RewardFunction {

    /**
     * One configured term.
     *
     * @param term what it computes
     * @param weight its coefficient
     * @param turns the 1-based turns it applies to; empty = every turn
     */
    public record Entry(RewardTerm term, double weight, Set<Integer> turns) {
        public Entry {
            if (!Double.isFinite(weight)) {
                throw new IllegalArgumentException("weight: expected a finite number, got " + weight);
            }
            turns = Set.copyOf(turns);
        }

        public static Entry of(RewardTerm term, double weight) {
            return new Entry(term, weight, Set.of());
        }
    }

    private final Map<String, Entry> entries;
    private final double turnDiscount;

    public CompositeReward(Map<String, Entry> entries, double turnDiscount) {
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("a reward needs at least one term");
        }
        if (!(turnDiscount > 0 && turnDiscount <= 1)) {
            throw new IllegalArgumentException("turn_discount: expected a number in (0, 1], got " + turnDiscount);
        }
        this.entries = new LinkedHashMap<>(entries);
        this.turnDiscount = turnDiscount;
    }

    public Map<String, Entry> entries() {
        return java.util.Collections.unmodifiableMap(entries);
    }

    @Override
    public RewardBreakdown score(Trajectory t) {
        if (t.size() == 0) {
            throw new IllegalArgumentException("trajectory of task '" + t.taskId() + "' has no turns");
        }
        for (int k = 0; k < t.size(); k++) {
            if (t.turn(k).verdict() == null) {
                throw new IllegalArgumentException("trajectory of task '" + t.taskId() + "': turn " + (k + 1)
                        + " has no verdict; rewards are computed from verdicts");
            }
        }
        double[] total = new double[t.size()];
        Map<String, double[]> components = new LinkedHashMap<>();
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            Entry entry = e.getValue();
            double[] values = entry.term().values(t);
            double[] weighted = new double[t.size()];
            for (int k = 0; k < t.size(); k++) {
                if (!Double.isFinite(values[k])) {
                    throw new IllegalArgumentException("reward term '" + e.getKey() + "' gave " + values[k]
                            + " on turn " + (k + 1) + " of task '" + t.taskId() + "'");
                }
                boolean applies = entry.turns().isEmpty() || entry.turns().contains(k + 1);
                weighted[k] = applies ? entry.weight() * values[k] * Math.pow(turnDiscount, k) : 0;
                total[k] += weighted[k];
            }
            components.put(e.getKey(), weighted);
        }
        return new RewardBreakdown(total, components);
    }

    /** The names of the terms, in order. */
    public List<String> names() {
        return List.copyOf(entries.keySet());
    }
}
