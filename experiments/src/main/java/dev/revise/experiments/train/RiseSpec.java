package dev.revise.experiments.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.revise.envs.FeedbackMode;
import dev.revise.experiments.config.ConfigTree;
import dev.revise.experiments.tasks.TaskSetup;
import dev.revise.rewards.RewardPresets;
import dev.revise.rl.RewardFunction;
import dev.revise.rl.learn.RiseTrainer;
import dev.revise.rl.learn.SftLearner;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** RISE: oracle-feedback rollouts, best-of-N targets, reward-weighted SFT. */
public record RiseSpec(RiseTrainer.Config trainer, SftLearner.Config learner, RewardFunction reward, JsonNode rollouts)
        implements AlgorithmSpec {
    static RiseSpec read(ConfigTree c, AlgorithmKeys r) {
        String feedback = FeedbackMode.parse(c.string("env.feedback")).configName();
        if (!feedback.equals(FeedbackMode.ORACLE.configName())) {
            throw new IllegalArgumentException("env.feedback: rise needs oracle (its prefixes are \"wrong, try"
                    + " again\" after each incorrect attempt, which only an oracle can say), got " + feedback);
        }
        int iterations = c.integer("rise.iterations", 1, Integer.MAX_VALUE);
        int sftSteps = c.integer("rise.sft_steps_per_iteration", 1, Integer.MAX_VALUE);
        RiseTrainer.Config trainer = new RiseTrainer.Config(
                iterations,
                c.integer("train.tasks_per_step", 1, Integer.MAX_VALUE),
                c.integer("rise.candidates", 1, 1024),
                c.number("rise.tau", 1e-6, 1e6),
                RiseTrainer.Selection.valueOf(c.choice("rise.selection", "all", "better", "best", "success")
                        .toUpperCase(Locale.ROOT)),
                sftSteps,
                c.integer("rise.sft_batch_rows", 1, Integer.MAX_VALUE),
                c.bool("rise.train_all_wrong"),
                r.sampling,
                r.seed,
                c.integer("rollout.max_batch", 1, 1 << 20)); // candidates sampled per generator call
        SftLearner.Config learner =
                new SftLearner.Config(r.microBatchRows, r.optimizer((long) iterations * sftSteps, 0));
        return new RiseSpec(trainer, learner, r.reward(RewardPresets.rise()), r.rolloutRewards());
    }

    @Override
    public AlgorithmSpec.Name name() {
        return AlgorithmSpec.Name.RISE;
    }

    @Override
    public long updates() {
        return trainer.iterations();
    }

    @Override
    public JsonNode rolloutRewards() {
        return rollouts.deepCopy();
    }

    @Override
    public boolean needsReference() {
        return false;
    }

    @Override
    public AlgorithmSpec.Built build(AlgorithmSpec.Wiring w) {
        SftLearner l = new SftLearner(w.policy(), learner);
        RiseTrainer t = new RiseTrainer(
                trainer.withSampling(w.sampling()),
                w.tasks(),
                w.rollouts(),
                w.policy().generator(),
                TaskSetup.verifier(w.taskSetup().verifierName()),
                reward,
                l);
        return new AlgorithmSpec.Built(t, Map.of("rise", l), List.of(l));
    }
}
