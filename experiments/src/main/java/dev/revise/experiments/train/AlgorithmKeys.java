package dev.revise.experiments.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.revise.experiments.config.ConfigTree;
import dev.revise.rewards.RewardConfig;
import dev.revise.rl.RewardFunction;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.learn.GrpoConfig;
import dev.revise.rl.learn.OnPolicyTrainer;
import dev.revise.rl.learn.PolicyOptimizer;
import dev.revise.rl.learn.SftLearner;
import dev.revise.rl.math.Clip;
import dev.revise.rl.math.KlEstimators;
import dev.revise.rl.math.PolicyLosses;
import dev.revise.rl.train.AdamW;
import dev.revise.rl.train.LearningRateSchedule;
import java.util.Locale;
import java.util.Set;

/** The keys every algorithm shares ({@code train.*}, {@code sampling.*}), read once per config. */
final class AlgorithmKeys {
    static final JsonNode CORRECTNESS = JsonNodeFactory.instance
            .objectNode()
            .set("correct", JsonNodeFactory.instance.objectNode().put("type", "correctness"));

    private final ConfigTree c;
    final long seed;
    final SamplingParams sampling;
    final double learnerTemperature;
    final int microBatchRows;
    private final double lr;
    private final int warmup;
    private final double minRatio;
    private final AdamW.Config adamw;

    AlgorithmKeys(ConfigTree c, long seed) {
        this.c = c;
        this.seed = seed;
        this.sampling = AlgorithmSpec.sampling(c, c.integer("env.max_tokens_per_turn", 1, 1 << 20), Set.of());
        double t = c.number("sampling.temperature", 0, 100);
        // greedy rollouts (T = 0) have no distribution: the learner scores them at 1
        this.learnerTemperature = t == 0 ? 1.0 : t;
        this.microBatchRows = c.integer("train.micro_batch_rows", 0, 1 << 20);
        this.lr = c.number("train.lr", 0, 10);
        if (lr == 0) {
            throw new IllegalArgumentException("train.lr: expected a number in (0, 10], got 0");
        }
        this.warmup = c.integer("train.warmup_steps", 0, Integer.MAX_VALUE);
        this.minRatio = c.number("train.min_lr_ratio", 0, 1);
        this.adamw = new AdamW.Config(
                c.number("train.adam_beta1", 0, 0.999999),
                c.number("train.adam_beta2", 0, 0.999999),
                c.number("train.adam_eps", 1e-30, 1),
                c.number("train.weight_decay", 0, 10),
                c.number("train.max_grad_norm", 0, 1e9));
    }

    /**
     * The optimizer of a learner whose run takes {@code runSteps} optimizer steps in all, this
     * learner's first being step {@code offset} of the run. Warm-up and decay count optimizer steps.
     */
    PolicyOptimizer.Config optimizer(long runSteps, long offset) {
        int total = Math.toIntExact(Math.max(1, runSteps));
        LearningRateSchedule schedule = minRatio == 1.0 && warmup == 0
                ? LearningRateSchedule.constant(lr)
                : new LearningRateSchedule(lr, warmup, total, minRatio);
        return new PolicyOptimizer.Config(schedule, adamw, offset);
    }

    SftLearner.Config sft(long steps) {
        return new SftLearner.Config(microBatchRows, optimizer(steps, 0));
    }

    /** {@code train.steps}: the updates of the algorithms that read it. */
    long steps() {
        return c.integer("train.steps", 1, Integer.MAX_VALUE);
    }

    OnPolicyTrainer.Config onPolicy() {
        return new OnPolicyTrainer.Config(
                steps(),
                c.integer("train.tasks_per_step", 1, Integer.MAX_VALUE),
                c.integer("train.group_size", 1, Integer.MAX_VALUE),
                sampling,
                seed,
                c.integer("rollout.overlap", 0, 1) == 1);
    }

    /** SCoRe's stages: per-turn rewards with no discount across turns, the stage's per-turn KL. */
    GrpoConfig scoreStage(GrpoConfig.AdvantageMode advantage, GrpoConfig.Kl kl, PolicyOptimizer.Config o) {
        return new GrpoConfig(
                advantage,
                0.0,
                false,
                Clip.standard(),
                PolicyLosses.Aggregation.TOKEN_MEAN,
                1f,
                kl,
                0.0,
                GrpoConfig.Passes.single(microBatchRows),
                0,
                o,
                learnerTemperature);
    }

    /** The {@code rewards} section, checked, or the algorithm's preset. */
    RewardFunction reward(RewardFunction preset) {
        return c.isSet("rewards") ? parse(c.node("rewards"), "rewards") : preset;
    }

    /** What rollout workers score with: the {@code rewards} section, or correctness of every turn. */
    JsonNode rolloutRewards() {
        return c.isSet("rewards") ? c.node("rewards").deepCopy() : CORRECTNESS.deepCopy();
    }

    static RewardFunction parse(JsonNode n) {
        return parse(n, "rewards");
    }

    static RewardFunction parse(JsonNode n, String section) {
        return RewardConfig.parse(n.deepCopy(), section);
    }

    static Clip clip(ConfigTree c, String section) {
        float low = (float) c.number(section + ".clip_low", 0, 0.999999);
        float high = (float) c.number(section + ".clip_high", 0, 10);
        double dual = c.number(section + ".dual_clip", 0, 1e6);
        if (dual != 0 && !(dual > 1)) {
            throw new IllegalArgumentException(section + ".dual_clip: expected 0 (off) or a number > 1, got " + dual);
        }
        return new Clip(low, high, (float) dual);
    }

    static GrpoConfig.AdvantageMode advantage(ConfigTree c, String path) {
        return GrpoConfig.AdvantageMode.valueOf(c.choice(path, "group_std", "group", "leave_one_out", "batch_mean")
                .toUpperCase(Locale.ROOT));
    }

    static KlEstimators.Estimator estimator(ConfigTree c, String path) {
        return KlEstimators.Estimator.valueOf(
                c.choice(path, "k1", "k2", "k3", "exact").toUpperCase(Locale.ROOT));
    }

    static PolicyLosses.Aggregation aggregation(ConfigTree c) {
        return PolicyLosses.Aggregation.valueOf(
                c.choice("grpo.aggregation", "token_mean", "sequence_mean_token_mean", "sequence_mean_token_sum_norm")
                        .toUpperCase(Locale.ROOT));
    }

    static boolean anyNonZero(double[] v) {
        for (double x : v) {
            if (x != 0) {
                return true;
            }
        }
        return false;
    }
}
