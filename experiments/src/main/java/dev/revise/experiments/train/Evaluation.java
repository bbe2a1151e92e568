package dev.revise.experiments.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.envs.EnvironmentConfig;
import dev.revise.experiments.config.ConfigTree;
import dev.revise.experiments.report.EvalJson;
import dev.revise.experiments.tasks.TaskSetup;
import dev.revise.policies.LlamaPolicy;
import dev.revise.rewards.RewardPresets;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.Task;
import dev.revise.rl.Trajectory;
import dev.revise.rl.Turn;
import dev.revise.rl.metrics.SelfCorrectionMetrics;
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
 * Held-out evaluation during training ({@code eval.*}): the same problems every time, attempts
 * sampled with seeds that depend only on the run seed, so the numbers of two checkpoints compare
 * paired, problem by problem. Writes {@code eval/step-N/eval.json} and rendered samples. With
 * {@code eval.samples} > 1 the intervals and the turn-1 vs turn-2 test are over problems, not
 * episodes (the samples of one problem are correlated; see {@link SelfCorrectionMetrics}).
 */
public final class Evaluation {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LlamaPolicy policy;
    private final List<Task> tasks;
    private final EnvironmentConfig env;
    private final TaskSetup taskSetup;
    private final SamplingParams sampling;
    private final int samples;
    private final int samplesToLog;
    private final long seed;
    private final boolean kvReuse;
    private final String feedback;

    public Evaluation(ConfigTree c, TaskSetup taskSetup, LlamaPolicy policy) {
        this.policy = policy;
        this.taskSetup = taskSetup;
        EnvironmentConfig base = taskSetup.environment();
        int turns = c.integer("eval.turns", 0, 64);
        this.env = turns == 0 ? base : base.withTurns(turns);
        String dataset = c.optionalString("eval.dataset");
        if (dataset == null) {
            dataset = taskSetup.dataset();
        }
        this.tasks = taskSetup.evalTasks(dataset, c.integer("eval.problems", 1, 1 << 24));
        double temperature = c.number("eval.temperature", 0, 100);
        SamplingParams p = AlgorithmSpec.sampling(c, env.maxTokensPerTurn(), policy.stopTokenIds());
        this.sampling = temperature == 0
                ? SamplingParams.greedy(env.maxTokensPerTurn()).withStopTokenIds(p.stopTokenIds())
                : p.withTemperature(temperature);
        this.samples = c.integer("eval.samples", 1, 1024);
        this.samplesToLog = c.integer("eval.samples_to_log", 0, 1 << 20);
        this.seed = c.longValue("run.seed");
        this.kvReuse = c.bool("rollout.kv_reuse");
        this.feedback = env.feedback().configName();
    }

    public int problems() {
        return tasks.size();
    }

    /** Evaluates the policy as it is now; writes eval.json and samples under {@code runDir}. */
    public Map<String, Double> run(long step, Path runDir) throws IOException {
        RolloutWorker worker = new RolloutWorker(
                taskSetup.environment(env), policy.generator(), policy, RewardPresets.finalCorrectness(), 256, kvReuse);
        List<Trajectory> out = new ArrayList<>();
        for (Rollout r :
                worker.run(new RolloutRequest(tasks, samples, seed ^ 0xE7A1L, 0, sampling), policy.version())) {
            out.add(r.trajectory());
        }
        SelfCorrectionMetrics.Report report = SelfCorrectionMetrics.of(out, env.turns());
        EvalJson.write(
                report,
                feedback,
                samples,
                EvalJson.perEpisode(out),
                runDir.resolve("eval").resolve(Checkpoints.name(step)));
        writeSamples(out, runDir.resolve("samples").resolve(Checkpoints.name(step) + ".jsonl"));
        Map<String, Double> m = new LinkedHashMap<>(SelfCorrectionMetrics.asMetrics(report, "eval/"));
        // with eval.samples > 1: the sign test over problems (eval.json's paired_test says which)
        m.put("eval/mcnemar_p", report.mcnemarP());
        return m;
    }

    private void writeSamples(List<Trajectory> trajectories, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(samplesToLog, trajectories.size()); i++) {
            Trajectory t = trajectories.get(i);
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("task_id", t.taskId());
            List<Map<String, Object>> turns = new ArrayList<>();
            for (Turn turn : t.turns()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("prompt", policy.render(turn.prompt()));
                m.put("completion", turn.completion().text());
                m.put("correct", turn.verdict().correct());
                m.put("extracted", turn.verdict().extracted());
                m.put("reason", turn.verdict().reason());
                turns.add(m);
            }
            line.put("turns", turns);
            sb.append(JSON.writeValueAsString(line)).append('\n');
        }
        Files.writeString(file, sb.toString());
    }
}
