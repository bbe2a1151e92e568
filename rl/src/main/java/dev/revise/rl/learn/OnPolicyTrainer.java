package dev.revise.rl.learn;

import dev.revise.rl.Policy;
import dev.revise.rl.RewardFunction;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.TaskSource;
import dev.revise.rl.rollout.Rollout;
import dev.revise.rl.rollout.RolloutSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The outer loop of single-stage on-policy RL (GRPO and its variants, RLOO, REINFORCE, PPO): each
 * update collects {@code tasksPerStep} tasks x {@code groupSize} multi-turn trajectories with the
 * current policy, scores them with one reward function and hands them to one {@link Learner}.
 */
public final class OnPolicyTrainer extends CountedTrainer {

    /**
     * @param steps updates of the run
     * @param tasksPerStep problems per update
     * @param groupSize samples per problem (G)
     * @param sampling how attempts are sampled
     * @param rootSeed every rollout seed derives from it
     */
    public record Config(long steps, int tasksPerStep, int groupSize, SamplingParams sampling, long rootSeed) {
        public Config {
            if (steps < 1 || tasksPerStep < 1 || groupSize < 1) {
                throw new IllegalArgumentException("train.steps, train.tasks_per_step and train.group_size must be"
                        + " >= 1, got " + steps + ", " + tasksPerStep + ", " + groupSize);
            }
        }

        /** The same settings sampling with {@code s} (e.g. with the policy's stop tokens). */
        public Config withSampling(SamplingParams s) {
            return new Config(steps, tasksPerStep, groupSize, s, rootSeed);
        }
    }

    private final Config config;
    private final Policy policy;
    private final TaskSource tasks;
    private final RolloutSource rollouts;
    private final RewardFunction reward;
    private final Learner learner;

    public OnPolicyTrainer(
            Config config,
            Policy policy,
            TaskSource tasks,
            RolloutSource rollouts,
            RewardFunction reward,
            Learner learner) {
        this.config = config;
        this.policy = policy;
        this.tasks = tasks;
        this.rollouts = rollouts;
        this.reward = reward;
        this.learner = learner;
    }

    @Override
    public long totalSteps() {
        return config.steps();
    }

    @Override
    protected Map<String, Double> update(long step) {
        // 1. collect
        Collected c = Collected.next(
                tasks, rollouts, config.tasksPerStep(), config.groupSize(), config.rootSeed(), step, config.sampling());
        List<Rollout> collected = c.rollouts();
        double rolloutSeconds = c.seconds();
        // 2. rewards
        List<Rollout> scored = new ArrayList<>(collected.size());
        for (Rollout r : collected) {
            scored.add(r.withRewards(reward.score(r.trajectory())));
        }
        // 3. update
        Map<String, Double> stats = new LinkedHashMap<>();
        stats.putAll(learner.update(scored));
        // 4. batch statistics
        stats.putAll(BatchStats.of(collected, rolloutSeconds));
        stats.putAll(c.sourceMetrics());
        stats.put("policy/version", (double) policy.version());
        return stats;
    }
}
