package dev.revise.experiments.quickstart;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.revise.envs.EnvironmentConfig;
import dev.revise.envs.FeedbackMode;
import dev.revise.envs.SelfCorrectionEnvironment;
import dev.revise.envs.synthetic.SyntheticArithmetic;
import dev.revise.envs.synthetic.SyntheticTaskSource;
import dev.revise.envs.synthetic.SyntheticVerifier;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.model.LlamaConfig;
import dev.revise.policies.model.LlamaModel;
import dev.revise.policies.tokenizer.CharTokenizer;
import dev.revise.policies.tokenizer.ChatFormat;
import dev.revise.rewards.RewardPresets;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.Task;
import dev.revise.rl.Trajectory;
import dev.revise.rl.learn.GrpoLearner;
import dev.revise.rl.learn.SftExample;
import dev.revise.rl.learn.SftLearner;
import dev.revise.rl.math.KlEstimators;
import dev.revise.rl.math.PolicyLosses;
import dev.revise.rl.metrics.SelfCorrectionMetrics;
import dev.revise.rl.rollout.LocalRolloutSource;
import dev.revise.rl.rollout.Rollout;
import dev.revise.rl.rollout.RolloutRequest;
import dev.revise.rl.rollout.RolloutWorker;
import dev.revise.rl.train.AdamW;
import dev.revise.rl.train.LearningRateSchedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The embedded default run, after SELF-CORRECTION-NOTES.md: a small policy learns the synthetic
 * arithmetic task by SFT on two independent noisy attempts per problem (so its second attempt is
 * no better than its first), then SCoRe's Stage I teaches it to use the second attempt to fix the
 * first. Base and final policies are evaluated on held-out problems with sampled attempts.
 */
public final class SyntheticSelfCorrection {

    /**
     * @param sftSteps SFT steps (batch {@code sftBatch})
     * @param stage1Steps SCoRe Stage I updates
     * @param tasksPerStep problems per RL update
     * @param groupSize samples per problem
     * @param evalProblems held-out problems per evaluation
     * @param seed root seed
     */
    public record Config(
            int sftSteps, int sftBatch, int stage1Steps, int tasksPerStep, int groupSize, int evalProblems, long seed) {
        public static Config defaults() {
            return new Config(800, 64, 130, 32, 4, 500, 0);
        }
    }

    /** Evaluations of the SFT base and the final policy. */
    public record Result(SelfCorrectionMetrics.Report base, SelfCorrectionMetrics.Report last, LlamaPolicy policy) {}

    private static final double STEP_ERROR = 0.10;

    public static Result run(Config config, NDManager root, Consumer<String> log) {
        SyntheticArithmetic task = SyntheticArithmetic.defaults();
        CharTokenizer tok = CharTokenizer.of("0123456789+-=;:|QA", List.of());
        int eos = tok.eosId().getAsInt();
        LlamaConfig shape = LlamaConfig.of(32, 128, 2, 4, 4, 512, false, 1e4)
                .withSpecialTokens(tok.bosId().getAsInt(), eos)
                .withMaxPositions(128);
        LlamaPolicy policy = new LlamaPolicy(
                LlamaModel.random(shape, root, Device.cpu(), config.seed()), tok, null, ChatFormat.PLAIN);
        // 1. SFT on two independent noisy attempts per problem
        SplittableRandom rng = new SplittableRandom(config.seed() + 1);
        SyntheticTaskSource train = new SyntheticTaskSource(task, config.seed());
        try (SftLearner sft = new SftLearner(
                policy,
                new SftLearner.Config(
                        0,
                        new LearningRateSchedule(2e-3, 50, config.sftSteps(), 0.1),
                        new AdamW.Config(0.9, 0.99, 1e-8, 0.0, 1.0)))) {
            for (int s = 0; s < config.sftSteps(); s++) {
                List<SftExample> batch = new ArrayList<>();
                for (int i = 0; i < config.sftBatch(); i++) {
                    batch.add(sftExample(train.next(), tok, eos, rng));
                }
                Map<String, Double> m = sft.update(batch);
                if (s % 100 == 0 || s == config.sftSteps() - 1) {
                    log.accept(String.format("sft step %d loss %.4f", s, m.get("policy/loss")));
                }
            }
        }
        // 2. evaluate the base on held-out problems
        List<Task> heldOut = task.heldOutTasks(config.seed(), config.evalProblems());
        EnvironmentConfig envConfig = new EnvironmentConfig(
                2,
                "{prompt}",
                FeedbackMode.INTRINSIC,
                "|",
                EnvironmentConfig.RISE_RETRY,
                EnvironmentConfig.DEFAULT_HINT,
                0,
                0,
                30);
        SelfCorrectionEnvironment env = new SelfCorrectionEnvironment(envConfig, new SyntheticVerifier());
        SamplingParams sampling = SamplingParams.sample(30).withStopTokenIds(Set.of(eos));
        SelfCorrectionMetrics.Report base = evaluate(policy, env, heldOut, sampling, config.seed());
        log.accept(report("base", base));
        // 3. SCoRe Stage I: reward attempt 2 only, strong KL keeps attempt 1 at the base
        try (LlamaPolicy reference = new LlamaPolicy(
                        LlamaModel.random(shape, root, Device.cpu(), config.seed()), tok, null, ChatFormat.PLAIN);
                LocalRolloutSource rollouts = new LocalRolloutSource(
                        i -> new RolloutWorker(env, policy.generator(), policy, RewardPresets.scoreStage1(), 256),
                        policy::version,
                        1,
                        config.tasksPerStep(),
                        1)) {
            reference.restore(policy.snapshot(), 0);
            GrpoLearner.Config stage1 = new GrpoLearner.Config(
                    GrpoLearner.AdvantageMode.LEAVE_ONE_OUT,
                    0.0,
                    new GrpoLearner.Clip(0.2f, 0.2f, 0f),
                    PolicyLosses.Aggregation.TOKEN_MEAN,
                    1f,
                    new GrpoLearner.Kl(KlEstimators.Estimator.K3, new double[] {1.0, 0.01}),
                    0.0,
                    false,
                    0,
                    new GrpoLearner.Optimizer(
                            LearningRateSchedule.constant(3e-4), new AdamW.Config(0.9, 0.999, 1e-8, 0, 1.0)));
            try (GrpoLearner learner = new GrpoLearner(policy, reference, stage1)) {
                for (int s = 0; s < config.stage1Steps(); s++) {
                    List<Task> tasks = new ArrayList<>();
                    for (int i = 0; i < config.tasksPerStep(); i++) {
                        tasks.add(train.next());
                    }
                    List<Rollout> batch =
                            rollouts.collect(new RolloutRequest(tasks, config.groupSize(), config.seed(), s, sampling));
                    Map<String, Double> m = learner.update(batch);
                    if (s % 10 == 0 || s == config.stage1Steps() - 1) {
                        log.accept(String.format(
                                "stage1 step %d reward/turn2 %.3f kl/turn1 %.4f",
                                s, m.getOrDefault("reward/turn2", 0.0), m.getOrDefault("kl/turn1", 0.0)));
                    }
                }
            }
        }
        SelfCorrectionMetrics.Report last = evaluate(policy, env, heldOut, sampling, config.seed());
        log.accept(report("final", last));
        return new Result(base, last, policy);
    }

    static String report(String tag, SelfCorrectionMetrics.Report r) {
        return String.format(
                "%s: Acc@t1 %.3f  Acc@t2 %.3f  Delta %+.3f  i->c %.3f  c->i %.3f  edit %.3f  (n=%d)",
                tag,
                r.accuracy()[0],
                r.accuracy()[1],
                r.delta(),
                r.incorrectToCorrect(),
                r.correctToIncorrect(),
                r.editRatio(),
                r.trajectories());
    }

    static SelfCorrectionMetrics.Report evaluate(
            LlamaPolicy policy, SelfCorrectionEnvironment env, List<Task> tasks, SamplingParams sampling, long seed) {
        RolloutWorker worker =
                new RolloutWorker(env, policy.generator(), policy, RewardPresets.finalCorrectness(), 256);
        List<Trajectory> out = new ArrayList<>();
        for (Rollout r : worker.run(new RolloutRequest(tasks, 1, seed ^ 0xE7A1L, 0, sampling), policy.version())) {
            out.add(r.trajectory());
        }
        return SelfCorrectionMetrics.of(out, 2);
    }

    /** question + noisy attempt + eos + '|' + another noisy attempt + eos; the attempts are the targets. */
    static SftExample sftExample(Task t, CharTokenizer tok, int eos, SplittableRandom rng) {
        int[] q = tok.encode(t.prompt());
        int[] a1 = tok.encode(noisy(t.metadata().get("solution"), rng));
        int[] bar = tok.encode("|");
        int[] a2 = tok.encode(noisy(t.metadata().get("solution"), rng));
        int n = q.length + a1.length + 1 + bar.length + a2.length + 1;
        int[] tokens = new int[n];
        boolean[] target = new boolean[n];
        int p = 0;
        for (int id : q) {
            tokens[p++] = id;
        }
        for (int id : a1) {
            target[p] = true;
            tokens[p++] = id;
        }
        target[p] = true;
        tokens[p++] = eos;
        for (int id : bar) {
            tokens[p++] = id;
        }
        for (int id : a2) {
            target[p] = true;
            tokens[p++] = id;
        }
        target[p] = true;
        tokens[p] = eos;
        return new SftExample(tokens, target, 1.0);
    }

    /**
     * The solution with each step's result replaced, with probability 0.1, by a wrong digit; the
     * chain continues from the written value, so an error is locally checkable on re-reading.
     */
    static String noisy(String solution, SplittableRandom rng) {
        String[] steps = solution.split(";");
        StringBuilder sb = new StringBuilder();
        Integer carried = null;
        for (int i = 0; i < steps.length - 1; i++) {
            String step = steps[i];
            int eq = step.indexOf('=');
            String lhs = step.substring(0, eq);
            char op = lhs.charAt(lhs.length() - 2);
            int a = carried == null ? Integer.parseInt(lhs.substring(0, lhs.length() - 2)) : carried;
            int b = lhs.charAt(lhs.length() - 1) - '0';
            int value = Math.floorMod(op == '+' ? a + b : a - b, 10);
            if (rng.nextDouble() < STEP_ERROR) {
                value = (value + 1 + rng.nextInt(9)) % 10;
            }
            sb.append(a).append(op).append(b).append('=').append(value).append(';');
            carried = value;
        }
        return sb.append('A').append(carried).toString();
    }
}
