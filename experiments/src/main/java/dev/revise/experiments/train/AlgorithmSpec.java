package dev.revise.experiments.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.revise.envs.FeedbackMode;
import dev.revise.experiments.config.ConfigTree;
import dev.revise.experiments.tasks.TaskSetup;
import dev.revise.policies.LlamaPolicy;
import dev.revise.rewards.RewardConfig;
import dev.revise.rewards.RewardPresets;
import dev.revise.rl.RewardFunction;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.TaskSource;
import dev.revise.rl.learn.CorrectionSftTrainer;
import dev.revise.rl.learn.GrpoLearner;
import dev.revise.rl.learn.LearnerState;
import dev.revise.rl.learn.OnPolicyTrainer;
import dev.revise.rl.learn.PolicyOptimizer;
import dev.revise.rl.learn.PpoLearner;
import dev.revise.rl.learn.RiseTrainer;
import dev.revise.rl.learn.ScoreTrainer;
import dev.revise.rl.learn.SftLearner;
import dev.revise.rl.learn.SftTrainer;
import dev.revise.rl.learn.Trainer;
import dev.revise.rl.math.Clip;
import dev.revise.rl.math.KlEstimators;
import dev.revise.rl.math.PolicyLosses;
import dev.revise.rl.rollout.RolloutSource;
import dev.revise.rl.train.AdamW;
import dev.revise.rl.train.LearningRateSchedule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code algorithm} of a config, read once: {@link #read(ConfigTree)} range-checks every key
 * the chosen algorithm reads, applies the cross-key refusals, and returns one record per family
 * holding finished {@code rl} configs. {@code train --dry-run} and {@code train} call the same
 * read, so a dry run rejects whatever a run would. A key of the algorithm's own sections that it
 * does not read (SCoRe's {@code train.steps}) is refused when set to anything but its default.
 */
public sealed interface AlgorithmSpec {

    /** The algorithm names of {@code algorithm:}, with the config sections each reads. */
    enum Name {
        SFT("sft"),
        GRPO("grpo"),
        RLOO("rloo"),
        REINFORCE("reinforce"),
        PPO("ppo"),
        SCORE("score"),
        RISE("rise"),
        PAIR_SFT("pair_sft"),
        STAR("star");

        public final String configName;

        Name(String configName) {
            this.configName = configName;
        }

        static Name of(ConfigTree c) {
            String[] names = Arrays.stream(values()).map(n -> n.configName).toArray(String[]::new);
            return valueOf(c.choice("algorithm", names).toUpperCase(Locale.ROOT));
        }

        /** Its own section of the config ({@code grpo} for GRPO, RLOO and REINFORCE). */
        public String section() {
            return switch (this) {
                case GRPO, RLOO, REINFORCE -> "grpo";
                case PAIR_SFT, STAR -> "correction_sft";
                default -> configName;
            };
        }

        /** Keys of {@code train} this algorithm does not read (a non-default value is refused). */
        public Set<String> unreadTrainKeys() {
            return switch (this) {
                case SFT -> Set.of("train.tasks_per_step", "train.group_size");
                case SCORE -> Set.of("train.steps");
                case RISE -> Set.of("train.steps", "train.group_size");
                default -> Set.of();
            };
        }
    }

    Name name();

    /** Updates of the run (what progress, evaluation and checkpoints count). */
    long updates();

    /** The reward the rollout workers compute, in the rewards module's format. */
    JsonNode rolloutRewards();

    /** Whether the frozen reference policy is needed (a KL term, or samples from the base). */
    boolean needsReference();

    /** Whether rollouts come from the frozen initial policy (offline supervised baselines). */
    default boolean samplesFromBase() {
        return false;
    }

    default boolean needsRollouts() {
        return name() != Name.SFT;
    }

    /** What a built algorithm uses: the policies, the task stream, the rollouts and the task setup. */
    record Wiring(
            LlamaPolicy policy,
            LlamaPolicy reference,
            TaskSource tasks,
            RolloutSource rollouts,
            TaskSetup taskSetup,
            SamplingParams sampling) {}

    /** A built algorithm: its outer loop and the learner states a checkpoint keeps, by name. */
    record Built(Trainer trainer, Map<String, LearnerState> states, List<AutoCloseable> resources) {}

    Built build(Wiring w);

    /** The rollout sampling of {@code sampling.*}; a turn ends at any of {@code stopIds}. */
    static SamplingParams sampling(ConfigTree c, int maxTokens, Set<Integer> stopIds) {
        return SamplingParams.sample(maxTokens)
                .withTemperature(c.number("sampling.temperature", 0, 100))
                .withTopP(c.number("sampling.top_p", 1e-9, 1))
                .withTopK(c.integer("sampling.top_k", 0, Integer.MAX_VALUE))
                .withStopTokenIds(stopIds);
    }

    /** Reads and checks the algorithm of {@code c}; every error names the key. */
    static AlgorithmSpec read(ConfigTree c) {
        Name name = Name.of(c);
        for (String key : name.unreadTrainKeys()) {
            refuseIfSet(c, key, name.configName + " does not read it (" + countNote(name) + ")");
        }
        if (name != Name.SCORE) {
            refuseIfSet(c, "rewards_stage1", "only score has a Stage I reward");
        }
        if (name == Name.SFT || name == Name.PAIR_SFT || name == Name.STAR) {
            refuseIfSet(c, "rewards", name.configName + " learns from targets, not rewards");
        }
        if (name == Name.PPO && c.integer("env.window", 0, Integer.MAX_VALUE) > 0) {
            // token-level GAE runs along one sequence; a window gives later turns contexts of their own
            throw new IllegalArgumentException("env.window: ppo needs each episode as one token sequence; use grpo,"
                    + " rloo or reinforce with a window, or set env.window to 0");
        }
        long seed = c.longValue("run.seed");
        Read r = new Read(c, seed);
        return switch (name) {
            case SFT -> new Sft(r.sft(r.steps()), r.steps(), SftBatches.Spec.read(c), seed);
            case GRPO, RLOO, REINFORCE -> PolicyGradient.read(c, name, r);
            case PPO -> Ppo.read(c, r);
            case SCORE -> Score.read(c, r);
            case RISE -> Rise.read(c, r);
            case PAIR_SFT, STAR -> CorrectionSft.read(c, name, r);
        };
    }

    private static String countNote(Name name) {
        return switch (name) {
            case SCORE -> "its updates are score.stage1_steps + score.stage2_steps";
            case RISE -> "its updates are rise.iterations, each over train.tasks_per_step problems, one sample each";
            default -> "it trains on supervised batches of sft.batch examples";
        };
    }

    /** Refuses a key that does nothing here when it differs from its default. */
    static void refuseIfSet(ConfigTree c, String key, String why) {
        if (!c.isDefault(key)) {
            throw new IllegalArgumentException(key + ": " + why + "; remove it or set it back to its default");
        }
    }

    /** SFT: masked NLL on {@code sft.*} batches. */
    record Sft(SftLearner.Config learner, long updates, SftBatches.Spec data, long seed) implements AlgorithmSpec {
        @Override
        public Name name() {
            return Name.SFT;
        }

        @Override
        public JsonNode rolloutRewards() {
            return Read.CORRECTNESS.deepCopy();
        }

        @Override
        public boolean needsReference() {
            return false;
        }

        @Override
        public Built build(Wiring w) {
            SftLearner learner = new SftLearner(w.policy(), learner());
            return new Built(
                    new SftTrainer(
                            updates, SftBatches.batches(data, w.policy(), w.tasks(), w.taskSetup(), seed), learner),
                    Map.of("sft", learner),
                    List.of(learner));
        }
    }

    /** GRPO, RLOO and REINFORCE: {@link GrpoLearner} with the algorithm's advantage mode. */
    record PolicyGradient(
            Name name,
            OnPolicyTrainer.Config trainer,
            GrpoLearner.Config learner,
            RewardFunction reward,
            JsonNode rollouts)
            implements AlgorithmSpec {
        static PolicyGradient read(ConfigTree c, Name name, Read r) {
            GrpoLearner.AdvantageMode advantage = c.isSet("grpo.advantage")
                    ? Read.advantage(c, "grpo.advantage")
                    : switch (name) {
                        case RLOO -> GrpoLearner.AdvantageMode.LEAVE_ONE_OUT;
                        case REINFORCE -> GrpoLearner.AdvantageMode.BATCH_MEAN;
                        default -> GrpoLearner.AdvantageMode.GROUP_STD;
                    };
            OnPolicyTrainer.Config trainer = r.onPolicy();
            GrpoLearner.Passes passes = new GrpoLearner.Passes(
                    c.integer("grpo.epochs", 1, 1000), c.integer("grpo.mini_batches", 1, 1 << 20), r.microBatchRows);
            Clip clip = Read.clip(c, "grpo");
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
            KlEstimators.Estimator estimator = Read.estimator(c, "grpo.kl_estimator");
            double[] klCoef = c.numbers("grpo.kl_coef", 0, 1e6);
            if (!inReward && estimator == KlEstimators.Estimator.K1 && Read.anyNonZero(klCoef)) {
                throw new IllegalArgumentException("grpo.kl_estimator: k1 with grpo.kl_placement loss has zero"
                        + " expected gradient (E[grad log pi] = 0), so grpo.kl_coef would do nothing; use k3 or k2"
                        + " in the loss, or grpo.kl_placement reward");
            }
            if (inReward && estimator == KlEstimators.Estimator.EXACT) {
                throw new IllegalArgumentException(
                        "grpo.kl_estimator: exact is a loss term; with grpo.kl_placement reward the KL is k1");
            }
            GrpoLearner.Kl kl = new GrpoLearner.Kl(
                    estimator,
                    klCoef,
                    inReward,
                    c.number("grpo.kl_target", 0, 1e6),
                    c.integer("grpo.kl_horizon", 1, Integer.MAX_VALUE));
            if (advantage == GrpoLearner.AdvantageMode.LEAVE_ONE_OUT && trainer.groupSize() < 2) {
                throw new IllegalArgumentException(
                        "train.group_size: leave-one-out advantages need groups of at least 2, got "
                                + trainer.groupSize());
            }
            double isCap = c.number("grpo.rollout_is_cap", 0, 1e6);
            GrpoLearner.Config learner = new GrpoLearner.Config(
                    advantage,
                    c.number("grpo.turn_discount", 0, 1),
                    c.bool("grpo.filter_zero_variance"),
                    clip,
                    Read.aggregation(c),
                    (float) c.number("grpo.length_normalizer", 1e-9, 1e9),
                    kl,
                    c.number("grpo.entropy_coef", -1e3, 1e3),
                    passes,
                    isCap,
                    r.optimizer(trainer.steps() * passes.optimizerSteps(), 0),
                    r.learnerTemperature);
            return new PolicyGradient(
                    name, trainer, learner, r.reward(Read.parse(Read.CORRECTNESS)), r.rolloutRewards());
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
            return Read.anyNonZero(learner.kl().perTurn());
        }

        @Override
        public Built build(Wiring w) {
            GrpoLearner l = new GrpoLearner(w.policy(), w.reference(), learner);
            OnPolicyTrainer t = new OnPolicyTrainer(
                    trainer.withSampling(w.sampling()), w.policy(), w.tasks(), w.rollouts(), reward, l);
            return new Built(t, Map.of("policy", l), List.of(l));
        }
    }

    /** PPO with a value head and GAE. */
    record Ppo(OnPolicyTrainer.Config trainer, PpoLearner.Config learner, RewardFunction reward, JsonNode rollouts)
            implements AlgorithmSpec {
        static Ppo read(ConfigTree c, Read r) {
            OnPolicyTrainer.Config trainer = r.onPolicy();
            int epochs = c.integer("ppo.epochs", 1, 1000);
            int miniRows = c.integer("ppo.mini_batch_rows", 0, 1 << 20);
            long perUpdate =
                    PpoLearner.optimizerStepsPerUpdate(epochs, miniRows, trainer.tasksPerStep() * trainer.groupSize());
            PpoLearner.Config learner = new PpoLearner.Config(
                    c.number("ppo.gamma", 0, 1),
                    c.number("ppo.lambda", 0, 1),
                    c.numbers("ppo.kl_in_reward", 0, 1e6),
                    Read.clip(c, "ppo"),
                    (float) c.number("ppo.value_clip", 0, 1e6),
                    c.number("ppo.value_coef", 0, 1e6),
                    c.number("ppo.entropy_coef", -1e3, 1e3),
                    epochs,
                    miniRows,
                    r.optimizer(trainer.steps() * perUpdate, 0),
                    r.learnerTemperature);
            return new Ppo(trainer, learner, r.reward(Read.parse(Read.CORRECTNESS)), r.rolloutRewards());
        }

        @Override
        public Name name() {
            return Name.PPO;
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
            return Read.anyNonZero(learner.klInReward());
        }

        @Override
        public Built build(Wiring w) {
            PpoLearner l = new PpoLearner(
                    w.policy(), w.reference(), w.policy().config().hiddenSize(), learner);
            OnPolicyTrainer t = new OnPolicyTrainer(
                    trainer.withSampling(w.sampling()), w.policy(), w.tasks(), w.rollouts(), reward, l);
            return new Built(t, Map.of("policy", l), List.of(l));
        }
    }

    /** SCoRe's two stages, each a {@link GrpoLearner} over per-turn rewards. */
    record Score(
            ScoreTrainer.Config trainer,
            GrpoLearner.Config stage1,
            GrpoLearner.Config stage2,
            RewardFunction stage1Reward,
            RewardFunction stage2Reward,
            JsonNode rollouts)
            implements AlgorithmSpec {
        static Score read(ConfigTree c, Read r) {
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
            KlEstimators.Estimator estimator = Read.estimator(c, "score.kl_estimator");
            if (estimator == KlEstimators.Estimator.K1) {
                throw new IllegalArgumentException("score.kl_estimator: k1 in the loss has zero expected gradient"
                        + " (E[grad log pi] = 0), so score.beta1 and score.beta2 would do nothing; use k3, k2 or"
                        + " exact");
            }
            GrpoLearner.AdvantageMode advantage = Read.advantage(c, "score.advantage");
            double[] beta1 = c.numbers("score.beta1", 0, 1e6);
            GrpoLearner.Kl kl1 = new GrpoLearner.Kl(
                    estimator,
                    new double[] {c.number("score.beta2", 0, 1e6), c.number("score.stage1_turn2_kl", 0, 1e6)});
            GrpoLearner.Kl kl2 = new GrpoLearner.Kl(estimator, beta1);
            long total = (long) stage1Steps + stage2Steps; // one optimizer step per update
            RewardFunction stage1Reward = c.isSet("rewards_stage1")
                    ? Read.parse(c.node("rewards_stage1"), "rewards_stage1")
                    : RewardPresets.scoreStage1();
            if (c.isSet("rewards")) {
                refuseIfSet(
                        c,
                        "score.alpha",
                        "the rewards section replaces Stage II's preset reward, so its alpha"
                                + " is rewards' own (e.g. rewards.progress.alpha)");
            }
            double alpha = c.number("score.alpha", 0, 1e6);
            RewardFunction stage2Reward = r.reward(RewardPresets.scoreStage2(alpha));
            return new Score(
                    trainer,
                    r.scoreStage(advantage, kl1, r.optimizer(total, 0)),
                    r.scoreStage(advantage, kl2, r.optimizer(total, stage1Steps)),
                    stage1Reward,
                    stage2Reward,
                    r.rolloutRewards());
        }

        @Override
        public Name name() {
            return Name.SCORE;
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
        public Built build(Wiring w) {
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
            return new Built(t, states, List.of(l1, l2));
        }
    }

    /** RISE: oracle-feedback rollouts, best-of-N targets, reward-weighted SFT. */
    record Rise(RiseTrainer.Config trainer, SftLearner.Config learner, RewardFunction reward, JsonNode rollouts)
            implements AlgorithmSpec {
        static Rise read(ConfigTree c, Read r) {
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
                    r.seed);
            SftLearner.Config learner =
                    new SftLearner.Config(r.microBatchRows, r.optimizer((long) iterations * sftSteps, 0));
            return new Rise(trainer, learner, r.reward(RewardPresets.rise()), r.rolloutRewards());
        }

        @Override
        public Name name() {
            return Name.RISE;
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
        public Built build(Wiring w) {
            SftLearner l = new SftLearner(w.policy(), learner);
            RiseTrainer t = new RiseTrainer(
                    trainer.withSampling(w.sampling()),
                    w.tasks(),
                    w.rollouts(),
                    w.policy().generator(),
                    TaskSetup.verifier(w.taskSetup().verifierName()),
                    reward,
                    l);
            return new Built(t, Map.of("rise", l), List.of(l));
        }
    }

    /** Pair-SFT and STaR on correction traces, online or from the base's samples. */
    record CorrectionSft(Name name, CorrectionSftTrainer.Config trainer, SftLearner.Config learner, boolean fromBase)
            implements AlgorithmSpec {
        static CorrectionSft read(ConfigTree c, Name name, Read r) {
            CorrectionSftTrainer.Config trainer = new CorrectionSftTrainer.Config(
                    name == Name.STAR ? CorrectionSftTrainer.Mode.STAR : CorrectionSftTrainer.Mode.PAIR,
                    r.steps(),
                    c.integer("train.tasks_per_step", 1, Integer.MAX_VALUE),
                    c.integer("train.group_size", 1, Integer.MAX_VALUE),
                    r.sampling,
                    r.seed);
            boolean base =
                    c.choice("correction_sft.samples_from", "policy", "base").equals("base");
            return new CorrectionSft(name, trainer, r.sft(trainer.steps()), base);
        }

        @Override
        public long updates() {
            return trainer.steps();
        }

        @Override
        public JsonNode rolloutRewards() {
            return Read.CORRECTNESS.deepCopy();
        }

        @Override
        public boolean needsReference() {
            return fromBase;
        }

        @Override
        public boolean samplesFromBase() {
            return fromBase;
        }

        @Override
        public Built build(Wiring w) {
            SftLearner l = new SftLearner(w.policy(), learner);
            CorrectionSftTrainer t =
                    new CorrectionSftTrainer(trainer.withSampling(w.sampling()), w.tasks(), w.rollouts(), l);
            return new Built(t, Map.of("sft", l), List.of(l));
        }
    }

    /** The keys every algorithm shares ({@code train.*}, {@code sampling.*}), read once per config. */
    final class Read {
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

        Read(ConfigTree c, long seed) {
            this.c = c;
            this.seed = seed;
            this.sampling = sampling(c, c.integer("env.max_tokens_per_turn", 1, 1 << 20), Set.of());
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
                    seed);
        }

        /** SCoRe's stages: per-turn rewards with no discount across turns, the stage's per-turn KL. */
        GrpoLearner.Config scoreStage(
                GrpoLearner.AdvantageMode advantage, GrpoLearner.Kl kl, PolicyOptimizer.Config o) {
            return new GrpoLearner.Config(
                    advantage,
                    0.0,
                    false,
                    Clip.standard(),
                    PolicyLosses.Aggregation.TOKEN_MEAN,
                    1f,
                    kl,
                    0.0,
                    GrpoLearner.Passes.single(microBatchRows),
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
                throw new IllegalArgumentException(
                        section + ".dual_clip: expected 0 (off) or a number > 1, got " + dual);
            }
            return new Clip(low, high, (float) dual);
        }

        static GrpoLearner.AdvantageMode advantage(ConfigTree c, String path) {
            return GrpoLearner.AdvantageMode.valueOf(c.choice(path, "group_std", "group", "leave_one_out", "batch_mean")
                    .toUpperCase(Locale.ROOT));
        }

        static KlEstimators.Estimator estimator(ConfigTree c, String path) {
            return KlEstimators.Estimator.valueOf(
                    c.choice(path, "k1", "k2", "k3", "exact").toUpperCase(Locale.ROOT));
        }

        static PolicyLosses.Aggregation aggregation(ConfigTree c) {
            return PolicyLosses.Aggregation.valueOf(c.choice(
                            "grpo.aggregation",
                            "token_mean",
                            "sequence_mean_token_mean",
                            "sequence_mean_token_sum_norm")
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
}
