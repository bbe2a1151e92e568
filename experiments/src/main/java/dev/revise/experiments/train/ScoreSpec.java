package dev.revise.experiments.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.revise.envs.FeedbackMode;
import dev.revise.experiments.config.ConfigTree;
import dev.revise.rewards.RewardPresets;
import dev.revise.rl.RewardFunction;
import dev.revise.rl.learn.GrpoConfig;
import dev.revise.rl.learn.GrpoLearner;
import dev.revise.rl.learn.LearnerState;
import dev.revise.rl.learn.ScoreTrainer;
import dev.revise.rl.math.KlEstimators;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** SCoRe's two stages, each a {@link GrpoLearner} over per-turn rewards. */
public record ScoreSpec(
        ScoreTrainer.Config trainer,
        GrpoConfig stage1,
        GrpoConfig stage2,
        RewardFunction stage1Reward,
        RewardFunction stage2Reward,
        JsonNode rollouts)
        implements AlgorithmSpec {
    static ScoreSpec read(ConfigTree c, AlgorithmKeys r) {
        int turns = c.integer("env.turns", 1, 1000);
        String feedback = FeedbackMode.parse(c.string("env.feedback")).configName();
        if (turns != 2 || !feedback.equals(FeedbackMode.INTRINSIC.configName())) {
            throw new IllegalArgumentException("env.turns, env.feedback: score trains two attempts with intrinsic"
                    + " self-correction (no external feedback); got env.turns " + turns + ", env.feedback "
                    + feedback);
        }
        int stage1Steps = c.integer("score.stage1_steps", 0, Integer.MAX_VALUE);
        int stage2Steps = c.integer("score.stage2_steps", 0, Integer.MAX_VALUE);
        if (stage1Steps + stage2Steps == 0) {
            throw new IllegalArgumentException("score.stage1_steps, score.stage2_steps: both are 0");
        }
        int groupSize = c.integer("train.group_size", 2, Integer.MAX_VALUE);
        ScoreTrainer.Config trainer = new ScoreTrainer.Config(
                stage1Steps,
                stage2Steps,
                c.integer("train.tasks_per_step", 1, Integer.MAX_VALUE),
                groupSize,
                r.sampling,
                r.seed);
        KlEstimators.Estimator estimator = AlgorithmKeys.estimator(c, "score.kl_estimator");
        if (estimator == KlEstimators.Estimator.K1) {
            throw new IllegalArgumentException("score.kl_estimator: k1 in the loss has zero expected gradient"
                    + " (E[grad log pi] = 0), so score.beta1 and score.beta2 would do nothing; use k3, k2 or"
                    + " exact");
        }
        GrpoConfig.AdvantageMode advantage = AlgorithmKeys.advantage(c, "score.advantage");
        double[] beta1 = c.numbers("score.beta1", 0, 1e6);
        GrpoConfig.Kl kl1 = new GrpoConfig.Kl(
                estimator, new double[] {c.number("score.beta2", 0, 1e6), c.number("score.stage1_turn2_kl", 0, 1e6)});
        GrpoConfig.Kl kl2 = new GrpoConfig.Kl(estimator, beta1);
        long total = (long) stage1Steps + stage2Steps; // one optimizer step per update
        RewardFunction stage1Reward = c.isSet("rewards_stage1")
                ? AlgorithmKeys.parse(c.node("rewards_stage1"), "rewards_stage1")
                : RewardPresets.scoreStage1();
        if (c.isSet("rewards")) {
            AlgorithmSpec.refuseIfSet(
                    c,
                    "score.alpha",
                    "the rewards section replaces Stage II's preset reward, so its alpha"
                            + " is rewards' own (e.g. rewards.progress.alpha)");
        }
        double alpha = c.number("score.alpha", 0, 1e6);
        RewardFunction stage2Reward = r.reward(RewardPresets.scoreStage2(alpha));
        return new ScoreSpec(
                trainer,
                r.scoreStage(advantage, kl1, r.optimizer(total, 0)),
                r.scoreStage(advantage, kl2, r.optimizer(total, stage1Steps)),
                stage1Reward,
                stage2Reward,
                r.rolloutRewards());
    }

    @Override
    public AlgorithmSpec.Name name() {
        return AlgorithmSpec.Name.SCORE;
    }

    @Override
    public long updates() {
        return trainer.totalSteps();
    }

    @Override
    public JsonNode rolloutRewards() {
        return rollouts.deepCopy();
    }

    @Override
    public boolean needsReference() {
        return true;
    }

    @Override
    public AlgorithmSpec.Built build(AlgorithmSpec.Wiring w) {
        GrpoLearner l1 = new GrpoLearner(w.policy(), w.reference(), stage1);
        GrpoLearner l2 = new GrpoLearner(w.policy(), w.reference(), stage2);
        Map<String, LearnerState> states = new LinkedHashMap<>();
        states.put("stage1", l1);
        states.put("stage2", l2);
        ScoreTrainer t = new ScoreTrainer(
                trainer.withSampling(w.sampling()),
                w.policy(),
                w.tasks(),
                w.rollouts(),
                stage1Reward,
                stage2Reward,
                l1,
                l2);
        return new AlgorithmSpec.Built(t, states, List.of(l1, l2));
    }
}
