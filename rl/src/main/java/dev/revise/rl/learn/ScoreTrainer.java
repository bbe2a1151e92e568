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
import java.util.function.BiConsumer;

/**
 * SCoRe (Kumar et al. 2024, arXiv 2409.12917): two-attempt intrinsic self-correction trained with
 * on-policy policy gradient in two stages.
 *
 * <pre>
 *   Stage I:  max E[ r(y2) - beta2 KL(pi(.|x) || pi_ref(.|x)) ]           on attempt 1's tokens only
 *             (only attempt 2 is rewarded; a strong KL keeps attempt 1 at the reference, which
 *              decouples the attempts and prevents "answer at turn 1, copy at turn 2")
 *   Stage II: max E[ sum_i r(y_i) - beta1 KL(pi || pi_ref) ], attempt 2's reward shaped by
 *             b = alpha (r(y2) - r(y1)), alpha > 1
 * </pre>
 *
 * The trainer owns the outer loop (collect, re-score with the stage's reward, update, report) and
 * delegates updates to one {@link GrpoLearner} per stage, configured per turn: Stage I's learner
 * sees per-turn rewards [0, r(y2)] with a turn discount of 0, so attempt-1 tokens get advantage 0
 * (no reward gradient) and only the KL (beta2 on turn 1); Stage II sees [r(y1), r(y2) + b] with the
 * KL beta1. RLOO baselines as in docs/self-correction-notes.md (the paper uses REINFORCE); GRPO-style
 * advantages are a learner option. The stage is a function of the step, so it is recorded by
 * recording the step.
 *
 * <p>In Stage II attempt 1 gets no credit for r(y2): its advantage comes from r(y1) alone (turn
 * discount 0). Were attempt 1 credited with attempt 2's shaped reward r(y2) + alpha (r(y2) -
 * r(y1)), a wrong first attempt would earn the bonus for the correction that follows it, so the
 * policy would be paid to answer wrongly first; per-attempt credit leaves the bonus on the tokens
 * that did the correcting. Each stage has its own AdamW moments; the learning-rate schedule is one
 * curve over the run's optimizer steps, Stage II's learner starting where Stage I's ends.
 */
public final class ScoreTrainer extends CountedTrainer {

    /**
     * @param stage1Steps updates of Stage I (0 skips it: the "without Stage I" ablation)
     * @param stage2Steps updates of Stage II
     * @param tasksPerStep problems per update
     * @param groupSize samples per problem (the leave-one-out group)
     * @param sampling how attempts are sampled
     * @param rootSeed the run's seed (every rollout seed derives from it)
     */
    public record Config(
            int stage1Steps, int stage2Steps, int tasksPerStep, int groupSize, SamplingParams sampling, long rootSeed) {
        public Config {
            if (stage1Steps < 0 || stage2Steps < 0 || stage1Steps + stage2Steps == 0) {
                throw new IllegalArgumentException(
                        "score.stage1_steps and score.stage2_steps must be >= 0, not both 0");
            }
            if (tasksPerStep < 1 || groupSize < 2) {
                throw new IllegalArgumentException("train.tasks_per_step must be >= 1 and train.group_size >= 2, got "
                        + tasksPerStep + ", " + groupSize);
            }
        }

        /** The same settings sampling with {@code s} (e.g. with the policy's stop tokens). */
        public Config withSampling(SamplingParams s) {
            return new Config(stage1Steps, stage2Steps, tasksPerStep, groupSize, s, rootSeed);
        }

        public int totalSteps() {
            return stage1Steps + stage2Steps;
        }
    }

    private final Config config;
    private final Policy policy;
    private final TaskSource tasks;
    private final RolloutSource rollouts;
    private final RewardFunction stage1Reward;
    private final RewardFunction stage2Reward;
    private final GrpoLearner stage1;
    private final GrpoLearner stage2;

    /**
     * @param stage1Reward per-turn rewards [0, r(y2)] (the rewards module's SCoRe Stage I preset)
     * @param stage2Reward per-turn rewards [r(y1), r(y2) + alpha (r(y2) - r(y1))]
     * @param stage1 a learner with turn discount 0 and KL coefficients [beta2, ~0]
     * @param stage2 a learner with turn discount 0 and KL coefficients [beta1, beta1]
     */
    public ScoreTrainer(
            Config config,
            Policy policy,
            TaskSource tasks,
            RolloutSource rollouts,
            RewardFunction stage1Reward,
            RewardFunction stage2Reward,
            GrpoLearner stage1,
            GrpoLearner stage2) {
        this.config = config;
        this.policy = policy;
        this.tasks = tasks;
        this.rollouts = rollouts;
        this.stage1Reward = stage1Reward;
        this.stage2Reward = stage2Reward;
        this.stage1 = stage1;
        this.stage2 = stage2;
    }

    /** 1 or 2: the stage of the next update. */
    @Override
    public int stage() {
        return step() < config.stage1Steps() ? 1 : 2;
    }

    @Override
    public long totalSteps() {
        return config.totalSteps();
    }

    /** One update: collect, re-score for the stage, learn. Returns the metrics of the step. */
    @Override
    protected Map<String, Double> update(long step) {
        int stage = step < config.stage1Steps() ? 1 : 2;
        // 1. collect: tasksPerStep problems x groupSize attempts-then-corrections
        Collected c = Collected.next(
                tasks, rollouts, config.tasksPerStep(), config.groupSize(), config.rootSeed(), step, config.sampling());
        List<Rollout> collected = c.rollouts();
        double rolloutSeconds = c.seconds();
        // 2. rewards of this stage
        RewardFunction reward = stage == 1 ? stage1Reward : stage2Reward;
        List<Rollout> scored = new ArrayList<>(collected.size());
        for (Rollout r : collected) {
            scored.add(r.withRewards(reward.score(r.trajectory())));
        }
        // 3. update
        Map<String, Double> stats = new LinkedHashMap<>();
        stats.put("train/stage", (double) stage);
        stats.putAll((stage == 1 ? stage1 : stage2).update(scored));
        // 4. batch statistics
        stats.putAll(BatchStats.of(collected, rolloutSeconds));
        stats.putAll(c.sourceMetrics());
        stats.put("policy/version", (double) policy.version());
        return stats;
    }

    /** Runs to the end, reporting each step's metrics. */
    public void run(BiConsumer<Long, Map<String, Double>> onStep) {
        while (!done()) {
            long s = step();
            onStep.accept(s, trainStep());
        }
    }
}
