package dev.revise.experiments.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.revise.envs.EnvironmentConfig;
import dev.revise.envs.FeedbackMode;
import dev.revise.envs.synthetic.NoisyAttempts;
import dev.revise.envs.synthetic.SyntheticArithmetic;
import dev.revise.experiments.config.ConfigTree;
import dev.revise.experiments.tasks.TaskSetup;
import dev.revise.policies.LlamaPolicy;
import dev.revise.rewards.CompositeReward;
import dev.revise.rewards.RewardConfig;
import dev.revise.rewards.RewardPresets;
import dev.revise.rl.RewardFunction;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.Task;
import dev.revise.rl.TaskSource;
import dev.revise.rl.learn.CorrectionSftTrainer;
import dev.revise.rl.learn.GrpoLearner;
import dev.revise.rl.learn.LearnerState;
import dev.revise.rl.learn.OnPolicyTrainer;
import dev.revise.rl.learn.PpoLearner;
import dev.revise.rl.learn.RiseTrainer;
import dev.revise.rl.learn.ScoreTrainer;
import dev.revise.rl.learn.SftExample;
import dev.revise.rl.learn.SftLearner;
import dev.revise.rl.learn.SftTrainer;
import dev.revise.rl.learn.Trainer;
import dev.revise.rl.math.KlEstimators;
import dev.revise.rl.math.PolicyLosses;
import dev.revise.rl.rollout.RolloutSource;
import dev.revise.rl.rollout.Seeds;
import dev.revise.rl.train.AdamW;
import dev.revise.rl.train.LearningRateSchedule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Wires the {@code algorithm} of a config to its trainer and learners. Each algorithm's objective
 * and update live in its own file in {@code rl.learn}; this class only reads the config sections
 * ({@code train}, {@code grpo}, {@code ppo}, {@code score}, {@code rise}, {@code sft}).
 */
public final class Algorithms {
    public static final List<String> NAMES =
            List.of("sft", "grpo", "rloo", "reinforce", "ppo", "score", "rise", "pair_sft", "star");

    /** A built algorithm: its outer loop and the learner states a checkpoint keeps, by name. */
    public record Built(Trainer trainer, Map<String, LearnerState> states, List<AutoCloseable> resources) {}

    /** The default reward: correctness of every turn. */
    private static final JsonNode CORRECTNESS = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
            .objectNode()
            .set(
                    "correct",
                    com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
                            .objectNode()
                            .put("type", "correctness"));

    private Algorithms() {}

    public static String name(ConfigTree c) {
        return c.choice("algorithm", NAMES.toArray(new String[0]));
    }

    /** Whether the algorithm collects rollouts (everything but SFT). */
    public static boolean needsRollouts(ConfigTree c) {
        return !name(c).equals("sft");
    }

    /** Whether the algorithm needs the frozen reference policy (some KL coefficient is non-zero). */
    public static boolean needsReference(ConfigTree c) {
        return switch (name(c)) {
            case "score" -> true;
            case "grpo", "rloo", "reinforce" -> anyNonZero(c.numbers("grpo.kl_coef", 0, 1e6));
            case "ppo" -> anyNonZero(c.numbers("ppo.kl_in_reward", 0, 1e6));
            case "pair_sft", "star" -> samplesFromBase(c);
            default -> false;
        };
    }

    /**
     * Whether rollouts come from the frozen initial policy rather than the one being trained: the
     * supervised baselines with {@code correction_sft.samples_from: base}, which makes their data
     * what SCoRe's are, samples of the base model that training never feeds back into.
     */
    public static boolean samplesFromBase(ConfigTree c) {
        String n = name(c);
        return (n.equals("pair_sft") || n.equals("star"))
                && c.choice("correction_sft.samples_from", "policy", "base").equals("base");
    }

    /** The reward the rollout workers compute (trainers re-score per stage where they need to). */
    public static JsonNode rolloutRewards(ConfigTree c) {
        JsonNode n = c.node("rewards");
        if (n != null) {
            return n;
        }
        return CORRECTNESS.deepCopy();
    }

    /**
     * Rollout sampling from {@code sampling.*}; a turn ends at any of {@code stopIds} (the policy's
     * {@link LlamaPolicy#stopTokenIds()}: every eos id and the chat template's end of turn).
     */
    public static SamplingParams sampling(ConfigTree c, int maxTokens, Set<Integer> stopIds) {
        SamplingParams p = SamplingParams.sample(maxTokens)
                .withTemperature(c.number("sampling.temperature", 0, 100))
                .withTopP(c.number("sampling.top_p", 1e-9, 1))
                .withTopK(c.integer("sampling.top_k", 0, Integer.MAX_VALUE));
        return p.withStopTokenIds(stopIds);
    }

    public static Built build(
            ConfigTree c,
            LlamaPolicy policy,
            LlamaPolicy reference,
            TaskSource tasks,
            RolloutSource rollouts,
            TaskSetup taskSetup,
            SamplingParams sampling) {
        long seed = c.longValue("run.seed");
        String algorithm = name(c);
        Map<String, LearnerState> states = new LinkedHashMap<>();
        List<AutoCloseable> resources = new ArrayList<>();
        Trainer trainer;
        switch (algorithm) {
            case "sft" -> {
                SftLearner learner = new SftLearner(policy, sftConfig(c));
                resources.add(learner);
                states.put("sft", learner);
                trainer = new SftTrainer(
                        c.longValue("train.steps"), sftBatches(c, policy, tasks, taskSetup, seed), learner);
            }
            case "grpo", "rloo", "reinforce" -> {
                GrpoLearner learner = new GrpoLearner(policy, reference, grpoConfig(c, algorithm));
                resources.add(learner);
                states.put("policy", learner);
                trainer = new OnPolicyTrainer(onPolicy(c, sampling, seed), policy, tasks, rollouts, reward(c), learner);
            }
            case "ppo" -> {
                PpoLearner learner =
                        new PpoLearner(policy, reference, policy.config().hiddenSize(), ppoConfig(c));
                resources.add(learner);
                states.put("policy", learner);
                trainer = new OnPolicyTrainer(onPolicy(c, sampling, seed), policy, tasks, rollouts, reward(c), learner);
            }
            case "score" -> {
                ScoreTrainer.Config sc = new ScoreTrainer.Config(
                        c.integer("score.stage1_steps", 0, Integer.MAX_VALUE),
                        c.integer("score.stage2_steps", 0, Integer.MAX_VALUE),
                        c.integer("train.tasks_per_step", 1, Integer.MAX_VALUE),
                        c.integer("train.group_size", 2, Integer.MAX_VALUE),
                        sampling,
                        seed);
                KlEstimators.Estimator estimator = estimator(c, "score.kl_estimator");
                GrpoLearner.AdvantageMode advantage = advantage(c, "score.advantage");
                double[] beta1 = c.numbers("score.beta1", 0, 1e6);
                GrpoLearner stage1 = new GrpoLearner(
                        policy, reference, scoreStage(c, advantage, new GrpoLearner.Kl(estimator, new double[] {
                            c.number("score.beta2", 0, 1e6), c.number("score.stage1_turn2_kl", 0, 1e6)
                        })));
                GrpoLearner stage2 = new GrpoLearner(
                        policy, reference, scoreStage(c, advantage, new GrpoLearner.Kl(estimator, beta1)));
                resources.add(stage1);
                resources.add(stage2);
                states.put("stage1", stage1);
                states.put("stage2", stage2);
                RewardFunction r1 = c.isSet("rewards_stage1")
                        ? RewardConfig.parse(c.node("rewards_stage1"), "rewards_stage1")
                        : RewardPresets.scoreStage1();
                RewardFunction r2 = c.isSet("rewards")
                        ? RewardConfig.parse(c.node("rewards"), "rewards")
                        : RewardPresets.scoreStage2(c.number("score.alpha", 0, 1e6));
                trainer = new ScoreTrainer(sc, policy, tasks, rollouts, r1, r2, stage1, stage2);
            }
            case "pair_sft", "star" -> {
                SftLearner learner = new SftLearner(policy, sftConfig(c));
                resources.add(learner);
                states.put("sft", learner);
                trainer = new CorrectionSftTrainer(
                        new CorrectionSftTrainer.Config(
                                algorithm.equals("star")
                                        ? CorrectionSftTrainer.Mode.STAR
                                        : CorrectionSftTrainer.Mode.PAIR,
                                c.longValue("train.steps"),
                                c.integer("train.tasks_per_step", 1, Integer.MAX_VALUE),
                                c.integer("train.group_size", 1, Integer.MAX_VALUE),
                                sampling,
                                seed),
                        tasks,
                        rollouts,
                        learner);
            }
            case "rise" -> {
                SftLearner learner = new SftLearner(policy, sftConfig(c));
                resources.add(learner);
                states.put("rise", learner);
                RiseTrainer.Config rc = new RiseTrainer.Config(
                        c.integer("rise.iterations", 1, Integer.MAX_VALUE),
                        c.integer("train.tasks_per_step", 1, Integer.MAX_VALUE),
                        c.integer("rise.candidates", 1, 1024),
                        c.number("rise.tau", 1e-6, 1e6),
                        RiseTrainer.Selection.valueOf(c.choice("rise.selection", "all", "better", "best", "success")
                                .toUpperCase(Locale.ROOT)),
                        c.integer("rise.sft_steps_per_iteration", 1, Integer.MAX_VALUE),
                        c.integer("rise.sft_batch_rows", 1, Integer.MAX_VALUE),
                        sampling,
                        seed);
                trainer = new RiseTrainer(
                        rc, tasks, rollouts, policy.generator(), TaskSetup.verifier(taskSetup.verifierName()), learner);
            }
            default -> throw new IllegalStateException("unreachable: " + algorithm);
        }
        return new Built(trainer, states, resources);
    }

    /** The number of updates a config runs (what progress and checkpoints count). */
    public static long totalSteps(ConfigTree c) {
        return switch (name(c)) {
            case "score" ->
                (long) c.integer("score.stage1_steps", 0, Integer.MAX_VALUE)
                        + c.integer("score.stage2_steps", 0, Integer.MAX_VALUE);
            case "rise" -> c.integer("rise.iterations", 1, Integer.MAX_VALUE);
            default -> c.longValue("train.steps");
        };
    }

    private static OnPolicyTrainer.Config onPolicy(ConfigTree c, SamplingParams sampling, long seed) {
        return new OnPolicyTrainer.Config(
                c.longValue("train.steps"),
                c.integer("train.tasks_per_step", 1, Integer.MAX_VALUE),
                c.integer("train.group_size", 1, Integer.MAX_VALUE),
                sampling,
                seed);
    }

    private static RewardFunction reward(ConfigTree c) {
        if (c.isSet("rewards")) {
            return RewardConfig.parse(c.node("rewards"), "rewards");
        }
        return name(c).equals("rise") ? RewardPresets.rise() : correctnessEveryTurn();
    }

    private static CompositeReward correctnessEveryTurn() {
        return RewardConfig.parse(CORRECTNESS.deepCopy(), "rewards");
    }

    static GrpoLearner.Optimizer optimizer(ConfigTree c) {
        double lr = c.number("train.lr", 0, 10);
        if (lr == 0) {
            throw new IllegalArgumentException("train.lr: expected a number in (0, 10], got 0");
        }
        int warmup = c.integer("train.warmup_steps", 0, Integer.MAX_VALUE);
        double minRatio = c.number("train.min_lr_ratio", 0, 1);
        long steps = Math.max(1, totalSteps(c));
        LearningRateSchedule schedule = minRatio == 1.0 && warmup == 0
                ? LearningRateSchedule.constant(lr)
                : new LearningRateSchedule(lr, warmup, Math.toIntExact(steps), minRatio);
        return new GrpoLearner.Optimizer(
                schedule,
                new AdamW.Config(
                        c.number("train.adam_beta1", 0, 0.999999),
                        c.number("train.adam_beta2", 0, 0.999999),
                        c.number("train.adam_eps", 1e-30, 1),
                        c.number("train.weight_decay", 0, 10),
                        c.number("train.max_grad_norm", 0, 1e9)));
    }

    private static SftLearner.Config sftConfig(ConfigTree c) {
        GrpoLearner.Optimizer o = optimizer(c);
        return new SftLearner.Config(c.integer("train.micro_batch_rows", 0, 1 << 20), o.schedule(), o.adamw());
    }

    private static GrpoLearner.Config grpoConfig(ConfigTree c, String algorithm) {
        GrpoLearner.AdvantageMode advantage = c.isSet("grpo.advantage")
                ? advantage(c, "grpo.advantage")
                : switch (algorithm) {
                    case "rloo" -> GrpoLearner.AdvantageMode.LEAVE_ONE_OUT;
                    case "reinforce" -> GrpoLearner.AdvantageMode.BATCH_MEAN;
                    default -> GrpoLearner.AdvantageMode.GROUP_STD;
                };
        return new GrpoLearner.Config(
                advantage,
                c.number("grpo.turn_discount", 0, 1),
                new GrpoLearner.Clip(
                        (float) c.number("grpo.clip_low", 0, 1), (float) c.number("grpo.clip_high", 0, 10), (float)
                                c.number("grpo.dual_clip", 0, 1e6)),
                aggregation(c),
                (float) c.number("grpo.length_normalizer", 1e-9, 1e9),
                new GrpoLearner.Kl(
                        estimator(c, "grpo.kl_estimator"),
                        c.numbers("grpo.kl_coef", 0, 1e6),
                        c.choice("grpo.kl_placement", "loss", "reward").equals("reward"),
                        c.number("grpo.kl_target", 0, 1e6),
                        c.integer("grpo.kl_horizon", 1, Integer.MAX_VALUE)),
                c.number("grpo.entropy_coef", -1e3, 1e3),
                c.bool("grpo.filter_zero_variance"),
                c.integer("train.micro_batch_rows", 0, 1 << 20),
                optimizer(c),
                learnerTemperature(c));
    }

    /** SCoRe's stages: per-turn rewards with no discount across turns, the stage's per-turn KL. */
    private static GrpoLearner.Config scoreStage(ConfigTree c, GrpoLearner.AdvantageMode advantage, GrpoLearner.Kl kl) {
        return new GrpoLearner.Config(
                advantage,
                0.0,
                GrpoLearner.Clip.standard(),
                PolicyLosses.Aggregation.TOKEN_MEAN,
                1f,
                kl,
                0.0,
                false,
                c.integer("train.micro_batch_rows", 0, 1 << 20),
                optimizer(c),
                learnerTemperature(c));
    }

    private static PpoLearner.Config ppoConfig(ConfigTree c) {
        return new PpoLearner.Config(
                c.number("ppo.gamma", 0, 1),
                c.number("ppo.lambda", 0, 1),
                c.numbers("ppo.kl_in_reward", 0, 1e6),
                new GrpoLearner.Clip(
                        (float) c.number("grpo.clip_low", 0, 1), (float) c.number("grpo.clip_high", 0, 10), (float)
                                c.number("grpo.dual_clip", 0, 1e6)),
                (float) c.number("ppo.value_clip", 0, 1e6),
                c.number("ppo.value_coef", 0, 1e6),
                c.number("ppo.entropy_coef", -1e3, 1e3),
                c.integer("ppo.epochs", 1, 1000),
                c.integer("ppo.mini_batch_rows", 0, 1 << 20),
                optimizer(c),
                learnerTemperature(c));
    }

    /**
     * The temperature the learners score at: the rollouts' (their tokens were drawn from
     * softmax(logits / T)); greedy rollouts (T = 0) have no distribution, so they score at 1.
     */
    static double learnerTemperature(ConfigTree c) {
        double t = c.number("sampling.temperature", 0, 100);
        return t == 0 ? 1.0 : t;
    }

    private static GrpoLearner.AdvantageMode advantage(ConfigTree c, String path) {
        return GrpoLearner.AdvantageMode.valueOf(c.choice(path, "group_std", "group", "leave_one_out", "batch_mean")
                .toUpperCase(Locale.ROOT));
    }

    private static KlEstimators.Estimator estimator(ConfigTree c, String path) {
        return KlEstimators.Estimator.valueOf(
                c.choice(path, "k1", "k2", "k3", "exact").toUpperCase(Locale.ROOT));
    }

    private static PolicyLosses.Aggregation aggregation(ConfigTree c) {
        return PolicyLosses.Aggregation.valueOf(
                c.choice("grpo.aggregation", "token_mean", "sequence_mean_token_mean", "sequence_mean_token_sum_norm")
                        .toUpperCase(Locale.ROOT));
    }

    private static boolean anyNonZero(double[] v) {
        for (double x : v) {
            if (x != 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * SFT batches. {@code noisy_attempts} (synthetic task, intrinsic plain-text episodes): the
     * prompt, then K independent noisy attempts each ending in end-of-sequence, separated by the
     * instruction, exactly as the rollout worker lays out an episode; attempts are the targets.
     * {@code solutions}: the prompt and the task's reference {@code solution}. The batch of step s
     * draws from a stream seeded by (run seed, s).
     */
    private static java.util.function.LongFunction<List<SftExample>> sftBatches(
            ConfigTree c, LlamaPolicy policy, TaskSource tasks, TaskSetup taskSetup, long seed) {
        String data = c.choice("sft.data", "noisy_attempts", "solutions");
        int batch = c.integer("sft.batch", 1, 1 << 20);
        EnvironmentConfig env = taskSetup.environment();
        int eos = policy.config().eosTokenId();
        if (eos < 0) {
            throw new IllegalArgumentException("policy: SFT needs an end-of-sequence token in the tokenizer");
        }
        NoisyAttempts[] noisy;
        if (data.equals("noisy_attempts")) {
            if (!taskSetup.synthetic()) {
                throw new IllegalArgumentException(
                        "sft.data noisy_attempts needs task.dataset synthetic, got '" + taskSetup.dataset() + "'");
            }
            if (env.feedback() != FeedbackMode.INTRINSIC
                    || !c.string("policy.chat_format").equals("plain")) {
                throw new IllegalArgumentException(
                        "sft.data noisy_attempts lays out plain-text intrinsic episodes: set env.feedback intrinsic"
                                + " and policy.chat_format plain");
            }
            SyntheticArithmetic task = taskSetup.syntheticTask();
            double[] errors = c.numbers("sft.step_error", 0, 0.999);
            noisy = new NoisyAttempts[env.turns()];
            for (int k = 0; k < noisy.length; k++) {
                noisy[k] = new NoisyAttempts(task, errors[Math.min(k, errors.length - 1)]);
            }
        } else {
            noisy = null;
        }
        return step -> {
            SplittableRandom rng = new SplittableRandom(Seeds.derive(seed, step, "sft-batch", 0, 0));
            List<SftExample> out = new ArrayList<>(batch);
            for (int i = 0; i < batch; i++) {
                Task t = tasks.next();
                out.add(noisy != null ? episode(t, env, noisy, policy, eos, rng) : solution(t, env, policy, eos));
            }
            return out;
        };
    }

    private static SftExample episode(
            Task t, EnvironmentConfig env, NoisyAttempts[] noisy, LlamaPolicy policy, int eos, SplittableRandom rng) {
        List<Integer> tokens = new ArrayList<>();
        List<Boolean> target = new ArrayList<>();
        append(tokens, target, policy.tokenizer().encode(env.promptTemplate().replace("{prompt}", t.prompt())), false);
        for (int k = 0; k < env.turns(); k++) {
            if (k > 0) {
                append(tokens, target, policy.tokenizer().encode(env.instruction()), false);
            }
            append(tokens, target, policy.tokenizer().encode(noisy[k].attempt(t.require("solution"), rng)), true);
            append(tokens, target, new int[] {eos}, true);
        }
        return toExample(tokens, target);
    }

    private static SftExample solution(Task t, EnvironmentConfig env, LlamaPolicy policy, int eos) {
        List<Integer> tokens = new ArrayList<>();
        List<Boolean> target = new ArrayList<>();
        append(tokens, target, policy.tokenizer().encode(env.promptTemplate().replace("{prompt}", t.prompt())), false);
        append(tokens, target, policy.tokenizer().encode(t.require("solution")), true);
        append(tokens, target, new int[] {eos}, true);
        return toExample(tokens, target);
    }

    private static void append(List<Integer> tokens, List<Boolean> target, int[] ids, boolean isTarget) {
        for (int id : ids) {
            tokens.add(id);
            target.add(isTarget);
        }
    }

    private static SftExample toExample(List<Integer> tokens, List<Boolean> target) {
        int[] t = new int[tokens.size()];
        boolean[] m = new boolean[tokens.size()];
        for (int i = 0; i < t.length; i++) {
            t[i] = tokens.get(i);
            m[i] = target.get(i) && i > 0;
        }
        return new SftExample(t, m, 1.0);
    }
}
