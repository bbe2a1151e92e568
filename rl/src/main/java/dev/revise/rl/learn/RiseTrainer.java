package dev.revise.rl.learn;

import dev.revise.rl.Completion;
import dev.revise.rl.Generator;
import dev.revise.rl.Prompt;
import dev.revise.rl.RewardFunction;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.Task;
import dev.revise.rl.TaskSource;
import dev.revise.rl.Trajectory;
import dev.revise.rl.Turn;
import dev.revise.rl.Verdict;
import dev.revise.rl.Verifier;
import dev.revise.rl.rollout.Rollout;
import dev.revise.rl.rollout.RolloutSource;
import dev.revise.rl.rollout.Seeds;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * RISE (Qu et al. 2024, "Recursive Introspection", arXiv 2407.18219): iterated self-distillation
 * of multi-turn improvement.
 *
 * <pre>
 *   repeat for each iteration:
 *     1. roll out the current policy for K turns with oracle feedback ("incorrect, try again"),
 *        stopping at the first correct attempt
 *     2. at every turn's prefix (question + earlier attempts + feedback), sample N candidates from
 *        the policy itself and keep the improved targets the selection rule admits
 *     3. reward-weighted regression: maximise sum w log pi(target | prefix), w = exp(r / tau),
 *        training only the last assistant turn of each prefix (earlier turns are context)
 *     4. fine-tune, then collect again with the new policy
 * </pre>
 *
 * Selection rules of the public code: all candidates, those better than the on-policy attempt,
 * the best one, or only successful ones. A candidate's reward r is its turn's value under the run's
 * reward function (RISE's preset: 1 correct, 0 wrong, -1 unparseable), scored as the turn that
 * would follow the on-policy prefix. A prefix where every candidate is wrong teaches nothing about
 * improving and gets no weight, unless {@code trainAllWrong} asks for exp(r / tau) on them too
 * (the public code's behaviour with {@code best}). The feedback must be the oracle's: RISE's
 * prefixes are "attempt, it is wrong, try again", which only an oracle can say.
 */
public final class RiseTrainer extends CountedTrainer {

    /** Which sampled candidates become training targets. */
    public enum Selection {
        /** every candidate, weighted by exp(r / tau) */
        ALL,
        /** candidates whose reward beats the on-policy attempt at that turn */
        BETTER,
        /** the highest-reward candidate (the first on ties) */
        BEST,
        /** correct candidates only */
        SUCCESS
    }

    /**
     * @param iterations collect-and-fine-tune rounds
     * @param tasksPerIteration problems rolled out per iteration
     * @param candidates N samples per turn prefix (16 in the paper's self-distillation)
     * @param tau temperature of the weights exp(r / tau) (0.4 in the public code)
     * @param selection which candidates become targets
     * @param sftStepsPerIteration optimizer steps of fine-tuning per iteration
     * @param sftBatchRows examples per fine-tuning step
     * @param trainAllWrong whether prefixes with no correct candidate still train (at exp(r / tau))
     * @param sampling how attempts and candidates are sampled
     * @param rootSeed every seed derives from it
     */
    public record Config(
            int iterations,
            int tasksPerIteration,
            int candidates,
            double tau,
            Selection selection,
            int sftStepsPerIteration,
            int sftBatchRows,
            boolean trainAllWrong,
            SamplingParams sampling,
            long rootSeed,
            int promptsPerCall) {
        public Config {
            if (iterations < 1
                    || tasksPerIteration < 1
                    || candidates < 1
                    || sftStepsPerIteration < 1
                    || sftBatchRows < 1) {
                throw new IllegalArgumentException("rise.iterations, train.tasks_per_step, rise.candidates, "
                        + "rise.sft_steps_per_iteration and rise.sft_batch_rows must all be >= 1");
            }
            if (!(tau > 0)) {
                throw new IllegalArgumentException("rise.tau must be > 0, got " + tau);
            }
            if (promptsPerCall < 1) {
                throw new IllegalArgumentException("rollout.max_batch must be >= 1, got " + promptsPerCall);
            }
        }

        /** The same settings sampling with {@code s} (e.g. with the policy's stop tokens). */
        public Config withSampling(SamplingParams s) {
            return new Config(
                    iterations,
                    tasksPerIteration,
                    candidates,
                    tau,
                    selection,
                    sftStepsPerIteration,
                    sftBatchRows,
                    trainAllWrong,
                    s,
                    rootSeed,
                    promptsPerCall);
        }
    }

    /** The reward-weighted regression weight exp(r / tau). */
    public static double weight(double reward, double tau) {
        return Math.exp(reward / tau);
    }

    private final Config config;
    private final TaskSource tasks;
    private final RolloutSource rollouts;
    private final Generator generator;
    private final Verifier verifier;
    private final RewardFunction reward;
    private final SftLearner learner;
    /** The iteration being run (the update's number). */
    private int iteration;

    /**
     * @param rollouts rollouts with an oracle-feedback environment
     * @param generator the policy's generator (for the candidates)
     * @param verifier the task's verifier (gives candidates their verdicts)
     * @param reward the run's reward function (turns verdicts into r)
     * @param learner fine-tunes the same policy
     */
    public RiseTrainer(
            Config config,
            TaskSource tasks,
            RolloutSource rollouts,
            Generator generator,
            Verifier verifier,
            RewardFunction reward,
            SftLearner learner) {
        this.config = config;
        this.tasks = tasks;
        this.rollouts = rollouts;
        this.generator = generator;
        this.verifier = verifier;
        this.reward = reward;
        this.learner = learner;
    }

    public int iteration() {
        return Math.toIntExact(step());
    }

    @Override
    public long totalSteps() {
        return config.iterations();
    }

    /** One RISE iteration; returns its metrics. */
    public Map<String, Double> runIteration() {
        return trainStep();
    }

    @Override
    protected Map<String, Double> update(long step) {
        iteration = Math.toIntExact(step);
        Map<String, Double> stats = new LinkedHashMap<>();
        // 1. on-policy multi-turn collection with oracle feedback
        Collected c = Collected.next(
                tasks, rollouts, config.tasksPerIteration(), 1, config.rootSeed(), iteration, config.sampling());
        List<Task> batch = c.tasks();
        List<Rollout> collected = c.rollouts();
        stats.putAll(BatchStats.of(collected, c.seconds()));
        stats.putAll(c.sourceMetrics());
        // 2. best-of-N candidates at every turn's prefix, sampled for many prefixes per generator call
        List<Prefix> all = new ArrayList<>();
        double solved = 0;
        for (Rollout r : collected) {
            solved += r.trajectory().last().verdict().correct() ? 1 : 0;
            Task task = taskOf(batch, r.trajectory().taskId());
            double[] onPolicy = reward.score(r.trajectory()).perTurn();
            for (int turn = 0; turn < r.trajectory().size(); turn++) {
                // what the policy saw, window and all
                all.add(new Prefix(task, r.trajectory(), r.contextOf(turn), onPolicy[turn], turn));
            }
        }
        List<SftExample> examples = new ArrayList<>();
        int[] prefixes = new int[2]; // all, all-wrong
        long candidateTokens = 0;
        int perCall = Math.max(1, config.promptsPerCall() / config.candidates());
        for (int from = 0; from < all.size(); from += perCall) {
            List<Prefix> chunk = all.subList(from, Math.min(all.size(), from + perCall));
            List<Prompt> prompts = new ArrayList<>();
            for (Prefix x : chunk) {
                for (int k = 0; k < config.candidates(); k++) {
                    String id = x.episode().taskId() + "#cand";
                    prompts.add(new Prompt(x.tokens(), Seeds.derive(config.rootSeed(), iteration, id, k, x.turn())));
                }
            }
            List<Completion> sampled = generator.generate(prompts, config.sampling());
            for (int i = 0; i < chunk.size(); i++) {
                List<Completion> candidates = sampled.subList(i * config.candidates(), (i + 1) * config.candidates());
                candidateTokens +=
                        candidates.stream().mapToInt(Completion::length).sum();
                examples.addAll(targets(chunk.get(i), candidates, prefixes));
            }
        }
        // the candidates are generated training tokens too: compute-matched comparisons count them
        stats.put("rise/candidate_tokens", (double) candidateTokens);
        stats.merge(MetricNames.GENERATED_TOKENS, (double) candidateTokens, Double::sum);
        stats.put("rise/iteration", (double) iteration);
        stats.put("rise/solved_with_oracle", solved / collected.size());
        stats.put("rise/examples", (double) examples.size());
        stats.put("rise/all_wrong_prefix_fraction", prefixes[0] == 0 ? 0 : (double) prefixes[1] / prefixes[0]);
        // 3-4. reward-weighted regression on the selected targets
        SplittableRandom rng = new SplittableRandom(Seeds.derive(config.rootSeed(), iteration, "rise-sft", 0, 0));
        double loss = 0;
        double skipped = 0;
        for (int s = 0; s < config.sftStepsPerIteration() && !examples.isEmpty(); s++) {
            List<SftExample> mb = new ArrayList<>();
            for (int i = 0; i < config.sftBatchRows(); i++) {
                mb.add(examples.get(rng.nextInt(examples.size())));
            }
            Map<String, Double> m = learner.update(mb);
            loss = m.getOrDefault(MetricNames.LOSS, 0.0);
            skipped = Math.max(skipped, m.getOrDefault(MetricNames.STEP_SKIPPED, 0.0));
        }
        stats.put(MetricNames.LOSS, loss);
        stats.put(MetricNames.STEP_SKIPPED, skipped);
        return stats;
    }

    /** One turn's prefix of a collected episode, with the on-policy attempt's reward there. */
    private record Prefix(Task task, Trajectory episode, int[] tokens, double onPolicy, int turn) {}

    private List<SftExample> targets(Prefix x, List<Completion> candidates, int[] prefixes) {
        Task task = x.task();
        Trajectory episode = x.episode();
        int[] prefix = x.tokens();
        double onPolicy = x.onPolicy();
        int turn = x.turn();
        double[] rewards = new double[candidates.size()];
        boolean[] correct = new boolean[candidates.size()];
        boolean anyCorrect = false;
        int best = 0;
        for (int c = 0; c < candidates.size(); c++) {
            Verdict v = verifier.verify(task, candidates.get(c).text());
            rewards[c] = rewardAsTurn(episode, turn, candidates.get(c), v);
            correct[c] = v.correct();
            anyCorrect |= v.correct();
            if (rewards[c] > rewards[best]) {
                best = c;
            }
        }
        prefixes[0]++;
        List<SftExample> out = new ArrayList<>();
        if (!anyCorrect) {
            prefixes[1]++;
            if (!config.trainAllWrong()) {
                return out;
            }
        }
        for (int c = 0; c < candidates.size(); c++) {
            boolean keep =
                    switch (config.selection()) {
                        case ALL -> true;
                        case BETTER -> rewards[c] > onPolicy;
                        case BEST -> c == best;
                        case SUCCESS -> correct[c];
                    };
            if (keep && candidates.get(c).length() > 0) {
                int[] tokens = new int[prefix.length + candidates.get(c).length()];
                System.arraycopy(prefix, 0, tokens, 0, prefix.length);
                System.arraycopy(
                        candidates.get(c).tokenIds(),
                        0,
                        tokens,
                        prefix.length,
                        candidates.get(c).length());
                out.add(SftExample.completion(tokens, prefix.length, weight(rewards[c], config.tau())));
            }
        }
        return out;
    }

    /** r of a candidate: its turn's value under the reward function, after the episode's earlier turns. */
    private double rewardAsTurn(Trajectory episode, int turn, Completion candidate, Verdict verdict) {
        List<Turn> turns = new ArrayList<>(episode.turns().subList(0, turn));
        Turn at = episode.turn(turn);
        turns.add(new Turn(turn, at.prompt(), candidate, verdict, dev.revise.rl.Feedback.end()));
        Trajectory t =
                new Trajectory(episode.taskId(), episode.groupId(), turns, episode.policyVersion(), episode.seed());
        return reward.score(t).perTurn()[turn];
    }

    private static Task taskOf(List<Task> batch, String id) {
        for (Task t : batch) {
            if (t.id().equals(id)) {
                return t;
            }
        }
        throw new IllegalStateException("no task '" + id + "' in the batch");
    }
}
