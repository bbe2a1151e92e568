package dev.revise.experiments.train;

import dev.revise.envs.EnvironmentConfig;
import dev.revise.envs.FeedbackMode;
import dev.revise.envs.synthetic.NoisyAttempts;
import dev.revise.envs.synthetic.StartSearchAttempts;
import dev.revise.experiments.config.ConfigTree;
import dev.revise.experiments.tasks.TaskSetup;
import dev.revise.policies.LlamaPolicy;
import dev.revise.rl.Task;
import dev.revise.rl.TaskSource;
import dev.revise.rl.learn.SftExample;
import dev.revise.rl.rollout.Seeds;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiFunction;

/**
 * The supervised data of {@code algorithm: sft} ({@code sft.*}): how each step's batch of {@link
 * SftExample}s is laid out.
 */
final class SftBatches {
    private SftBatches() {}

    /**
     * @param noisyAttempts true: {@code sft.data noisy_attempts}; false: {@code solutions}
     * @param batch examples per step
     * @param stepErrors per attempt, the probability that a step's result is wrong (the last repeats)
     * @param startErrors start_search only (else null): per attempt, the probability that the
     *     committed start is wrong (the last repeats)
     * @param repeatAttempt1 {@code sft.later_attempts repeat}: every later attempt is attempt 1
     *     again, so the policy's attempt 2 reads attempt 1 by construction (the probe's positive
     *     control); {@code independent}: each attempt drawn on its own
     */
    record Spec(boolean noisyAttempts, int batch, double[] stepErrors, double[] startErrors, boolean repeatAttempt1) {
        static Spec read(ConfigTree c) {
            boolean noisy = c.choice("sft.data", "noisy_attempts", "solutions").equals("noisy_attempts");
            int batch = c.integer("sft.batch", 1, 1 << 20);
            double[] errors = c.numbers("sft.step_error", 0, 0.999);
            TaskSetup taskSetup = new TaskSetup(c);
            boolean startSearch = taskSetup.dataset().equals("start_search");
            boolean startErrorSet = c.node("sft.start_error") != null;
            if (startErrorSet && !(noisy && startSearch)) {
                throw new IllegalArgumentException(
                        "sft.start_error applies to sft.data noisy_attempts on task.dataset start_search only");
            }
            if (noisy) {
                if (!taskSetup.synthetic()) {
                    throw new IllegalArgumentException("sft.data noisy_attempts needs task.dataset synthetic or"
                            + " start_search, got '" + taskSetup.dataset() + "'");
                }
                if (startSearch && !startErrorSet) {
                    throw new IllegalArgumentException("sft.data noisy_attempts on task.dataset start_search needs"
                            + " sft.start_error (the probability that an attempt's start is wrong, per attempt)");
                }
                if (taskSetup.environment().feedback() != FeedbackMode.INTRINSIC
                        || !c.string("policy.chat_format").equals("plain")) {
                    throw new IllegalArgumentException(
                            "sft.data noisy_attempts lays out plain-text intrinsic episodes: set env.feedback intrinsic"
                                    + " and policy.chat_format plain");
                }
            }
            double[] startErrors = startErrorSet ? c.numbers("sft.start_error", 0, 0.999) : null;
            boolean repeat =
                    c.choice("sft.later_attempts", "independent", "repeat").equals("repeat");
            if (repeat && !noisy) {
                throw new IllegalArgumentException("sft.later_attempts repeat applies to sft.data noisy_attempts only");
            }
            return new Spec(noisy, batch, errors, startErrors, repeat);
        }
    }

    /**
     * SFT batches. {@code noisy_attempts} (a generated family, intrinsic plain-text episodes): the
     * prompt, then K independent noisy attempts each ending in end-of-sequence, separated by the
     * instruction, exactly as the rollout worker lays out an episode; attempts are the targets.
     * {@code solutions}: the prompt and the task's reference {@code solution}. The batch of step s
     * draws from a stream seeded by (run seed, s).
     */
    static java.util.function.LongFunction<List<SftExample>> batches(
            Spec spec, LlamaPolicy policy, TaskSource tasks, TaskSetup taskSetup, long seed) {
        int batch = spec.batch();
        EnvironmentConfig env = taskSetup.environment();
        int eos = policy.config().eosTokenId();
        if (eos < 0) {
            throw new IllegalArgumentException("policy: SFT needs an end-of-sequence token in the tokenizer");
        }
        List<BiFunction<String, SplittableRandom, String>> noisy;
        if (spec.noisyAttempts()) {
            noisy = new ArrayList<>();
            double[] errors = spec.stepErrors();
            for (int k = 0; k < env.turns(); k++) {
                double stepError = errors[Math.min(k, errors.length - 1)];
                if (spec.startErrors() != null) {
                    double startError = spec.startErrors()[Math.min(k, spec.startErrors().length - 1)];
                    noisy.add(new StartSearchAttempts(taskSetup.startSearch(), startError, stepError)::attempt);
                } else {
                    noisy.add(new NoisyAttempts(taskSetup.syntheticTask(), stepError)::attempt);
                }
            }
        } else {
            noisy = null;
        }
        return step -> {
            SplittableRandom rng = new SplittableRandom(Seeds.derive(seed, step, "sft-batch", 0, 0));
            List<SftExample> out = new ArrayList<>(batch);
            for (int i = 0; i < batch; i++) {
                Task t = tasks.next();
                out.add(
                        noisy != null
                                ? episode(t, env, noisy, spec.repeatAttempt1(), policy, eos, rng)
                                : solution(t, env, policy, eos));
            }
            return out;
        };
    }

    private static SftExample episode(
            Task t,
            EnvironmentConfig env,
            List<BiFunction<String, SplittableRandom, String>> noisy,
            boolean repeatAttempt1,
            LlamaPolicy policy,
            int eos,
            SplittableRandom rng) {
        List<Integer> tokens = new ArrayList<>();
        List<Boolean> target = new ArrayList<>();
        append(tokens, target, policy.tokenizer().encode(env.promptTemplate().replace("{prompt}", t.prompt())), false);
        String first = null;
        for (int k = 0; k < env.turns(); k++) {
            if (k > 0) {
                append(tokens, target, policy.tokenizer().encode(env.instruction()), false);
            }
            String attempt = k > 0 && repeatAttempt1 ? first : noisy.get(k).apply(t.require("solution"), rng);
            first = k == 0 ? attempt : first;
            append(tokens, target, policy.tokenizer().encode(attempt), true);
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
