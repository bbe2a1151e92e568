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
 *
 * <p>With overlap ({@code rollout.overlap: 1}), update n+1's batch is begun with the weights of
 * version n just before the learner updates on batch n, so the rollout workers sample while the
 * learner trains: every batch after the first is one version behind the learner that trains on it
 * ({@code perf/policy_lag}), as in asynchronous peers. The learner's sampler-mismatch correction,
 * where it is on, weighs exactly that gap (the sampling log-probs are the older version's).
 */
public final class OnPolicyTrainer extends CountedTrainer {

    /**
     * @param steps updates of the run
     * @param tasksPerStep problems per update
     * @param groupSize samples per problem (G)
     * @param sampling how attempts are sampled
     * @param rootSeed every rollout seed derives from it
     */
    public record Config(
            long steps, int tasksPerStep, int groupSize, SamplingParams sampling, long rootSeed, boolean overlap) {
        public Config {
            if (steps < 1 || tasksPerStep < 1 || groupSize < 1) {
                throw new IllegalArgumentException("train.steps, train.tasks_per_step and train.group_size must be"
                        + " >= 1, got " + steps + ", " + tasksPerStep + ", " + groupSize);
            }
        }

        public Config(long steps, int tasksPerStep, int groupSize, SamplingParams sampling, long rootSeed) {
            this(steps, tasksPerStep, groupSize, sampling, rootSeed, false);
        }

        /** The same settings sampling with {@code s} (e.g. with the policy's stop tokens). */
        public Config withSampling(SamplingParams s) {
            return new Config(steps, tasksPerStep, groupSize, s, rootSeed, overlap);
        }
    }

    private final Config config;
    private final Policy policy;
    private final TaskSource tasks;
    private final RolloutSource rollouts;
    private final RewardFunction reward;
    private final Learner learner;
    private Collected.Pending next; // overlap: the next update's batch, in flight
    private PrefetchedBatch prefetched; // overlap: the next update's batch, collected (or from a checkpoint)

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
    public PrefetchedBatch prefetched() {
        if (next != null) {
            Collected c = next.await();
            next = null;
            prefetched = new PrefetchedBatch(step(), c.tasks(), c.rollouts(), c.seconds(), c.sourceMetrics());
        }
        return prefetched;
    }

    @Override
    public void restorePrefetched(PrefetchedBatch batch) {
        if (!config.overlap()) {
            throw new IllegalStateException("the checkpoint holds the next update's batch (rollout.overlap: 1), and"
                    + " this run does not overlap rollouts");
        }
        if (batch.step() != step()) {
            throw new IllegalStateException("the checkpoint's next batch is for update " + batch.step()
                    + ", and the run continues at update " + step());
        }
        prefetched = batch;
    }

    @Override
    protected Map<String, Double> update(long step) {
        // 1. collect: now, or (overlap) the batch begun during the previous update
        Collected c;
        PrefetchedBatch ready = prefetched();
        if (ready != null) {
            c = new Collected(ready.tasks(), ready.rollouts(), ready.seconds(), ready.sourceMetrics());
            prefetched = null;
        } else {
            c = Collected.next(
                    tasks,
                    rollouts,
                    config.tasksPerStep(),
                    config.groupSize(),
                    config.rootSeed(),
                    step,
                    config.sampling());
        }
        if (config.overlap() && step + 1 < config.steps()) {
            // the next batch samples with the weights of now, while the learner updates below
            next = Collected.begin(
                    tasks,
                    rollouts,
                    config.tasksPerStep(),
                    config.groupSize(),
                    config.rootSeed(),
                    step + 1,
                    config.sampling());
        }
        List<Rollout> collected = c.rollouts();
        double rolloutSeconds = c.seconds();
        // 2. rewards
        List<Rollout> scored = new ArrayList<>(collected.size());
        for (Rollout r : collected) {
            scored.add(r.withRewards(reward.score(r.trajectory())));
        }
        // 3. update
        long versionBefore = policy.version();
        Map<String, Double> stats = new LinkedHashMap<>();
        stats.putAll(learner.update(scored));
        // 4. batch statistics
        stats.putAll(BatchStats.of(collected, rolloutSeconds));
        stats.putAll(c.sourceMetrics());
        stats.put("policy/version", (double) policy.version());
        stats.put(MetricNames.POLICY_LAG, policyLag(collected, versionBefore));
        return stats;
    }

    /** How many versions behind the learner (before this update) the batch's sampler was, on average. */
    static double policyLag(List<Rollout> batch, long learnerVersion) {
        double sum = 0;
        for (Rollout r : batch) {
            sum += learnerVersion - r.trajectory().policyVersion();
        }
        return batch.isEmpty() ? 0 : sum / batch.size();
    }
}
