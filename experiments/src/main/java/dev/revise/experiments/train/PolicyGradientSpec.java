package dev.revise.experiments.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.revise.experiments.config.ConfigTree;
import dev.revise.rl.RewardFunction;
import dev.revise.rl.learn.GrpoConfig;
import dev.revise.rl.learn.GrpoLearner;
import dev.revise.rl.learn.OnPolicyTrainer;
import dev.revise.rl.math.Clip;
import dev.revise.rl.math.KlEstimators;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** GRPO, RLOO and REINFORCE: {@link GrpoLearner} with the algorithm's advantage mode. */
public record PolicyGradientSpec(
        AlgorithmSpec.Name name,
        OnPolicyTrainer.Config trainer,
        GrpoConfig learner,
        RewardFunction reward,
        JsonNode rollouts)
        implements AlgorithmSpec {
    static PolicyGradientSpec read(ConfigTree c, AlgorithmSpec.Name name, AlgorithmKeys r) {
        GrpoConfig.AdvantageMode advantage = c.isSet("grpo.advantage")
                ? AlgorithmKeys.advantage(c, "grpo.advantage")
                : switch (name) {
                    case RLOO -> GrpoConfig.AdvantageMode.LEAVE_ONE_OUT;
                    case REINFORCE -> GrpoConfig.AdvantageMode.BATCH_MEAN;
                    default -> GrpoConfig.AdvantageMode.GROUP_STD;
                };
        OnPolicyTrainer.Config trainer = r.onPolicy();
        GrpoConfig.Passes passes = new GrpoConfig.Passes(
                c.integer("grpo.epochs", 1, 1000), c.integer("grpo.mini_batches", 1, 1 << 20), r.microBatchRows);
        Clip clip = AlgorithmKeys.clip(c, "grpo");
        if (passes.optimizerSteps() == 1) {
            List<String> set = new ArrayList<>();
            for (String k : List.of("grpo.clip_low", "grpo.clip_high", "grpo.dual_clip")) {
                if (!c.isDefault(k)) {
                    set.add(k);
                }
            }
            if (!set.isEmpty()) {
                throw new IllegalArgumentException(String.join(", ", set) + ": clipping cannot act with"
                        + " grpo.epochs 1 and grpo.mini_batches 1 (one optimizer step per batch keeps the ratio"
                        + " pi / pi_old at 1); set grpo.epochs or grpo.mini_batches above 1, or leave the clip"
                        + " keys at their defaults");
            }
        }
        boolean inReward = c.choice("grpo.kl_placement", "loss", "reward").equals("reward");
        KlEstimators.Estimator estimator = AlgorithmKeys.estimator(c, "grpo.kl_estimator");
        double[] klCoef = c.numbers("grpo.kl_coef", 0, 1e6);
        if (!inReward && estimator == KlEstimators.Estimator.K1 && AlgorithmKeys.anyNonZero(klCoef)) {
            throw new IllegalArgumentException("grpo.kl_estimator: k1 with grpo.kl_placement loss has zero"
                    + " expected gradient (E[grad log pi] = 0), so grpo.kl_coef would do nothing; use k3 or k2"
                    + " in the loss, or grpo.kl_placement reward");
        }
        if (inReward && estimator == KlEstimators.Estimator.EXACT) {
            throw new IllegalArgumentException(
                    "grpo.kl_estimator: exact is a loss term; with grpo.kl_placement reward the KL is k1");
        }
        GrpoConfig.Kl kl = new GrpoConfig.Kl(
                estimator,
                klCoef,
                inReward,
                c.number("grpo.kl_target", 0, 1e6),
                c.integer("grpo.kl_horizon", 1, Integer.MAX_VALUE));
        if (advantage == GrpoConfig.AdvantageMode.LEAVE_ONE_OUT && trainer.groupSize() < 2) {
            throw new IllegalArgumentException(
                    "train.group_size: leave-one-out advantages need groups of at least 2, got " + trainer.groupSize());
        }
        double isCap = c.number("grpo.rollout_is_cap", 0, 1e6);
        GrpoConfig learner = new GrpoConfig(
                advantage,
                c.number("grpo.turn_discount", 0, 1),
                c.bool("grpo.filter_zero_variance"),
                clip,
                AlgorithmKeys.aggregation(c),
                (float) c.number("grpo.length_normalizer", 1e-9, 1e9),
                kl,
                c.number("grpo.entropy_coef", -1e3, 1e3),
                passes,
                isCap,
                r.optimizer(trainer.steps() * passes.optimizerSteps(), 0),
                r.learnerTemperature);
        return new PolicyGradientSpec(
                name, trainer, learner, r.reward(AlgorithmKeys.parse(AlgorithmKeys.CORRECTNESS)), r.rolloutRewards());
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
        return AlgorithmKeys.anyNonZero(learner.kl().perTurn());
    }

    @Override
    public AlgorithmSpec.Built build(AlgorithmSpec.Wiring w) {
        GrpoLearner l = new GrpoLearner(w.policy(), w.reference(), learner);
        OnPolicyTrainer t =
                new OnPolicyTrainer(trainer.withSampling(w.sampling()), w.policy(), w.tasks(), w.rollouts(), reward, l);
        return new AlgorithmSpec.Built(t, Map.of("policy", l), List.of(l));
    }
}
