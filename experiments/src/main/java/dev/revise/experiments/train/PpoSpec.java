package dev.revise.experiments.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.revise.experiments.config.ConfigTree;
import dev.revise.rl.RewardFunction;
import dev.revise.rl.learn.OnPolicyTrainer;
import dev.revise.rl.learn.PpoLearner;
import java.util.List;
import java.util.Map;

/** PPO with a value head and GAE. */
public record PpoSpec(
        OnPolicyTrainer.Config trainer, PpoLearner.Config learner, RewardFunction reward, JsonNode rollouts)
        implements AlgorithmSpec {
    static PpoSpec read(ConfigTree c, AlgorithmKeys r) {
        OnPolicyTrainer.Config trainer = r.onPolicy();
        int epochs = c.integer("ppo.epochs", 1, 1000);
        int miniRows = c.integer("ppo.mini_batch_rows", 0, 1 << 20);
        long perUpdate =
                PpoLearner.optimizerStepsPerUpdate(epochs, miniRows, trainer.tasksPerStep() * trainer.groupSize());
        PpoLearner.Config learner = new PpoLearner.Config(
                c.number("ppo.gamma", 0, 1),
                c.number("ppo.lambda", 0, 1),
                c.numbers("ppo.kl_in_reward", 0, 1e6),
                AlgorithmKeys.clip(c, "ppo"),
                (float) c.number("ppo.value_clip", 0, 1e6),
                c.number("ppo.value_coef", 0, 1e6),
                c.number("ppo.entropy_coef", -1e3, 1e3),
                epochs,
                miniRows,
                r.optimizer(trainer.steps() * perUpdate, 0),
                r.learnerTemperature);
        return new PpoSpec(
                trainer, learner, r.reward(AlgorithmKeys.parse(AlgorithmKeys.CORRECTNESS)), r.rolloutRewards());
    }

    @Override
    public AlgorithmSpec.Name name() {
        return AlgorithmSpec.Name.PPO;
    }

    @Override
    public long updates() {
        return trainer.steps();
    }

    @Override
    public JsonNode rolloutRewards() {
        return rollouts.deepCopy();
    }

    @Override
    public boolean needsReference() {
        return AlgorithmKeys.anyNonZero(learner.klInReward());
    }

    @Override
    public AlgorithmSpec.Built build(AlgorithmSpec.Wiring w) {
        PpoLearner l =
                new PpoLearner(w.policy(), w.reference(), w.policy().config().hiddenSize(), learner);
        OnPolicyTrainer t =
                new OnPolicyTrainer(trainer.withSampling(w.sampling()), w.policy(), w.tasks(), w.rollouts(), reward, l);
        return new AlgorithmSpec.Built(t, Map.of("policy", l), List.of(l));
    }
}
