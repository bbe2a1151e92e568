package dev.revise.experiments.eval;

import ai.djl.ndarray.NDManager;
import dev.revise.envs.EnvironmentConfig;
import dev.revise.envs.FeedbackMode;
import dev.revise.experiments.config.ConfigTree;
import dev.revise.experiments.report.EvalJson;
import dev.revise.experiments.tasks.TaskSetup;
import dev.revise.experiments.train.AlgorithmSpec;
import dev.revise.experiments.train.Checkpoints;
import dev.revise.experiments.train.PolicyFactory;
import dev.revise.policies.LlamaPolicy;
import dev.revise.rewards.RewardPresets;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.Task;
import dev.revise.rl.Trajectory;
import dev.revise.rl.Turn;
import dev.revise.rl.metrics.Proportions;
import dev.revise.rl.metrics.SelfCorrectionMetrics;
import dev.revise.rl.rollout.AttemptOverride;
import dev.revise.rl.rollout.Rollout;
import dev.revise.rl.rollout.RolloutRequest;
import dev.revise.rl.rollout.RolloutWorker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code revise eval}: the self-correction metrics of one checkpoint on a dataset (docs/algorithms.md):
 * Acc@t per turn with Wilson intervals, Delta with its paired interval, i->c, c->i, the 2x2
 * transitions, McNemar (with several samples per problem: intervals and a sign test over problems,
 * see {@link SelfCorrectionMetrics}), edit ratio, confidence and critique, RISE's p1@tK (any attempt correct,
 * what an oracle stop measures) and m1@tK (majority over the K attempts), the budget-matched
 * parallel baseline mK@t1 (majority of K independent first attempts), and pass@k over the samples.
 * The episode settings come from the checkpoint's own run config when it has one.
 */
public final class SelfCorrectionEval {

    /** What to evaluate. */
    public record Request(
            Path checkpoint,
            String dataset,
            int turns,
            String feedback,
            int samples,
            int limit,
            double temperature,
            long seed,
            List<String> overrides,
            AttemptIntervention.Mode intervene) {}

    /** The report and the file it was written to. */
    public record Result(SelfCorrectionMetrics.Report report, Map<String, Object> extra, Path file) {}

    private SelfCorrectionEval() {}

    public static Result run(Request q, Path outDir) throws IOException {
        return run(q, outDir, (done, total) -> {});
    }

    /** Episodes finished out of those the evaluation will run (for a progress display). */
    @FunctionalInterface
    public interface EpisodeProgress {
        void episodes(long done, long total);
    }

    /** As {@link #run(Request, Path)}, telling {@code progress} as each episode (of every pass) ends. */
    public static Result run(Request q, Path outDir, EpisodeProgress progress) throws IOException {
        ConfigTree c = configOf(q);
        TaskSetup taskSetup = new TaskSetup(c);
        EnvironmentConfig env = taskSetup.environment();
        List<Task> tasks = taskSetup.evalTasks(q.dataset(), q.limit());
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = new PolicyFactory(c).build(root)) {
            SamplingParams sampling = (q.temperature() == 0
                            ? SamplingParams.greedy(env.maxTokensPerTurn())
                            : AlgorithmSpec.sampling(c, env.maxTokensPerTurn(), java.util.Set.of())
                                    .withTemperature(q.temperature()))
                    .withStopTokenIds(policy.stopTokenIds());
            boolean kvReuse = c.bool("rollout.kv_reuse");
            // passes: the probe's own first attempts, the K-turn episodes, the K parallel first attempts
            long total = (long) tasks.size() * q.samples() * (q.intervene() == AttemptIntervention.Mode.OWN ? 1 : 2)
                    + (env.turns() > 1 ? (long) tasks.size() * env.turns() : 0);
            long[] done = {0};
            Runnable episodeDone = () -> progress.episodes(++done[0], total);
            // 1. K-turn episodes, `samples` per problem; with a probe, attempt 1 replaced first
            Map<String, Object> extra = new LinkedHashMap<>();
            List<Trajectory> episodes;
            if (q.intervene() == AttemptIntervention.Mode.OWN) {
                episodes = trajectories(rollouts(
                        policy,
                        taskSetup,
                        env,
                        tasks,
                        q.samples(),
                        q.seed(),
                        sampling,
                        kvReuse,
                        AttemptOverride.NONE,
                        episodeDone));
            } else {
                episodes =
                        InterventionProbe.run(q, policy, taskSetup, env, tasks, sampling, kvReuse, extra, episodeDone);
            }
            SelfCorrectionMetrics.Report report = SelfCorrectionMetrics.of(episodes, env.turns());
            extra.put("dataset", q.dataset());
            extra.put("checkpoint", q.checkpoint().toString());
            extra.put("temperature", q.temperature());
            extra.put("intervene", q.intervene().configName());
            if (env.turns() > 1 && TaskSetup.isGeneratedFamily(q.dataset())) {
                Map<String, Task> byId = new LinkedHashMap<>();
                tasks.forEach(t -> byId.put(t.id(), t));
                AttemptIntervention.Locality locality = AttemptIntervention.repairLocality(episodes, byId);
                extra.put("repair_locality", locality.fraction());
                extra.put("repair_corrections", locality.corrections());
            }
            // intervals over episodes, or over problems when there are several samples per problem
            extra.put("p1_at_tK", report.anyCorrect());
            extra.put("p1_at_tK_ci", report.anyCorrectCi());
            extra.put("m1_at_tK", report.majorityOverTurns());
            extra.put("m1_at_tK_ci", report.majorityOverTurnsCi());
            // 2. the budget-matched parallel baseline: K independent first attempts, majority vote
            if (env.turns() > 1) {
                List<Trajectory> parallel = trajectories(rollouts(
                        policy,
                        taskSetup,
                        env.withTurns(1),
                        tasks,
                        env.turns(),
                        q.seed() ^ 0x9A4A11E1L,
                        sampling,
                        kvReuse,
                        AttemptOverride.NONE,
                        episodeDone));
                Map<String, int[]> perProblem = parallelPerProblem(parallel);
                double mK = perProblem.values().stream().mapToInt(v -> v[0]).sum() / (double) tasks.size();
                extra.put("mK_at_t1", mK);
                // one vote per problem: the problems are the units already, Wilson over them
                extra.put("mK_at_t1_ci", Proportions.wilson(Math.round(mK * tasks.size()), tasks.size()));
                extra.put("per_problem", perProblemJson(perProblem));
            }
            // 3. pass@k of the first and the last attempt over the samples of each problem
            extra.put("pass_at_k", passAtK(episodes, q.samples(), env.turns()));
            extra.putAll(EvalJson.perEpisode(episodes)); // so compare can pair problems across checkpoints
            Path file = EvalJson.write(report, env.feedback().configName(), q.samples(), extra, outDir);
            return new Result(report, extra, file);
        }
    }

    /** The checkpoint's run config (or the defaults), with the request's dataset, turns and feedback. */
    static ConfigTree configOf(Request q) throws IOException {
        Path manifest = q.checkpoint().resolve("manifest.json");
        ConfigTree c = Files.isRegularFile(manifest)
                ? ConfigTree.parseResolved(Checkpoints.manifestConfig(q.checkpoint()), manifest.toString())
                : ConfigTree.defaults();
        c.set("policy.checkpoint=" + q.checkpoint().toAbsolutePath());
        if (!Files.isRegularFile(manifest)) {
            c.set("policy.chat_format=model");
        }
        c.set("run.seed=" + q.seed());
        c.set("task.dataset=" + q.dataset());
        c.set("task.verifier=auto");
        if (q.turns() > 0) {
            c.set("env.turns=" + q.turns());
        }
        if (q.feedback() != null) {
            FeedbackMode.parse(q.feedback()); // names the allowed modes
            c.set("env.feedback=" + q.feedback());
        }
        for (String o : q.overrides()) {
            c.set(o);
        }
        return c;
    }

    static List<Rollout> rollouts(
            LlamaPolicy policy,
            TaskSetup taskSetup,
            EnvironmentConfig env,
            List<Task> tasks,
            int samples,
            long seed,
            SamplingParams sampling,
            boolean kvReuse,
            AttemptOverride override,
            Runnable episodeDone) {
        RolloutWorker worker = new RolloutWorker(
                taskSetup.environment(env),
                policy.generator(),
                policy,
                RewardPresets.finalCorrectness(),
                256,
                kvReuse,
                override);
        return worker.run(new RolloutRequest(tasks, samples, seed ^ 0xE7A1L, 0, sampling), 0, episodeDone);
    }

    static List<Trajectory> trajectories(List<Rollout> rollouts) {
        List<Trajectory> out = new ArrayList<>(rollouts.size());
        for (Rollout r : rollouts) {
            out.add(r.trajectory());
        }
        return out;
    }

    /** Fraction of problems whose most frequent extracted answer over their samples is a correct one. */
    static double majorityPerProblem(List<Trajectory> singleTurn) {
        Map<String, int[]> perProblem = parallelPerProblem(singleTurn);
        return perProblem.isEmpty()
                ? 0
                : perProblem.values().stream().mapToInt(v -> v[0]).sum() / (double) perProblem.size();
    }

    /** eval.json's {@code per_problem}: task ids, and per problem mK@t1 and pass@K of the parallel attempts. */
    private static Map<String, Object> perProblemJson(Map<String, int[]> perProblem) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("task_ids", new ArrayList<>(perProblem.keySet()));
        m.put("mK_at_t1", perProblem.values().stream().map(v -> v[0]).toList());
        m.put("pass_at_K_t1", perProblem.values().stream().map(v -> v[1]).toList());
        return m;
    }

    /**
     * Per problem of K independent first attempts, in task order: {majority vote right (the most
     * frequent extracted answer, the first seen on a tie, is correct), any attempt right}.
     */
    static Map<String, int[]> parallelPerProblem(List<Trajectory> singleTurn) {
        Map<String, Boolean> any = new LinkedHashMap<>();
        for (Trajectory t : singleTurn) {
            any.merge(t.taskId(), t.turn(0).verdict().correct(), Boolean::logicalOr);
        }
        Map<String, Map<String, int[]>> byTask = new LinkedHashMap<>();
        for (Trajectory t : singleTurn) {
            Turn turn = t.turn(0);
            String a = turn.verdict().extracted();
            if (a == null) {
                byTask.computeIfAbsent(t.taskId(), k -> new LinkedHashMap<>());
                continue;
            }
            int[] counts = byTask.computeIfAbsent(t.taskId(), k -> new LinkedHashMap<>())
                    .computeIfAbsent(a, k -> new int[2]);
            counts[0]++;
            counts[1] |= turn.verdict().correct() ? 1 : 0;
        }
        Map<String, int[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, int[]>> e : byTask.entrySet()) {
            int[] best = null;
            for (int[] v : e.getValue().values()) {
                if (best == null || v[0] > best[0]) {
                    best = v;
                }
            }
            out.put(e.getKey(), new int[] {best != null && best[1] == 1 ? 1 : 0, any.get(e.getKey()) ? 1 : 0});
        }
        return out;
    }

    /** pass@k for k = 1 and k = samples, of the first and the last attempt: {"t1": {"1": .., "n": ..}, ...}. */
    static Map<String, Map<String, Double>> passAtK(List<Trajectory> episodes, int samples, int turns) {
        Map<String, Map<String, Double>> out = new LinkedHashMap<>();
        for (int t : turns > 1 ? new int[] {0, turns - 1} : new int[] {0}) {
            Map<String, int[]> perTask = new LinkedHashMap<>();
            for (Trajectory e : episodes) {
                int[] nc = perTask.computeIfAbsent(e.taskId(), k -> new int[2]);
                nc[0]++;
                boolean ok = t < e.size()
                        ? e.turn(t).verdict().correct()
                        : e.last().verdict().correct();
                nc[1] += ok ? 1 : 0;
            }
            Map<String, Double> ks = new LinkedHashMap<>();
            for (int k : samples > 1 ? new int[] {1, samples} : new int[] {1}) {
                double sum = 0;
                for (int[] nc : perTask.values()) {
                    sum += Proportions.passAtK(nc[0], nc[1], k);
                }
                ks.put(Integer.toString(k), sum / perTask.size());
            }
            out.put("t" + (t + 1), ks);
        }
        return out;
    }
}
