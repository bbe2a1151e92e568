package dev.revise.experiments.eval;

import dev.revise.envs.EnvironmentConfig;
import dev.revise.experiments.tasks.TaskSetup;
import dev.revise.policies.LlamaPolicy;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.Task;
import dev.revise.rl.Trajectory;
import dev.revise.rl.Turn;
import dev.revise.rl.rollout.AttemptOverride;
import dev.revise.rl.rollout.Rollout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs {@code revise eval --intervene gold|corrupt|other} ({@link AttemptIntervention}): the
 * policy's own first attempts are sampled first (one turn, the seeds of a plain evaluation), the
 * stand-ins built from them, then the K-turn episodes run with attempt 1 replaced by its stand-in
 * before the environment grades it and before attempt 2 is sampled.
 */
final class InterventionProbe {
    private InterventionProbe() {}

    static List<Trajectory> run(
            SelfCorrectionEval.Request q,
            LlamaPolicy policy,
            TaskSetup taskSetup,
            EnvironmentConfig env,
            List<Task> tasks,
            SamplingParams sampling,
            boolean kvReuse,
            Map<String, Object> extra,
            Runnable episodeDone) {
        AttemptIntervention.Mode mode = q.intervene();
        if (env.turns() < 2) {
            throw new IllegalArgumentException("--intervene " + mode.configName() + " replaces attempt 1 before"
                    + " attempt 2: it needs --turns >= 2, got " + env.turns());
        }
        if (mode == AttemptIntervention.Mode.OTHER && tasks.size() < 2) {
            throw new IllegalArgumentException("--intervene other needs at least 2 problems, got " + tasks.size());
        }
        // 1. the policy's own first attempts, as a plain evaluation samples them
        Map<String, Turn> own = new HashMap<>();
        for (Rollout r : SelfCorrectionEval.rollouts(
                policy,
                taskSetup,
                env.withTurns(1),
                tasks,
                q.samples(),
                q.seed(),
                sampling,
                kvReuse,
                AttemptOverride.NONE,
                episodeDone)) {
            own.put(key(r.trajectory().taskId(), r.sample()), r.trajectory().turn(0));
        }
        // 2. the stand-in of each (problem, sample); a corrupt probe keeps only right, corruptible attempts
        Map<String, String> standIns = new HashMap<>();
        int modulus =
                switch (q.dataset()) {
                    case "synthetic" -> taskSetup.syntheticTask().modulus();
                    case "start_search" -> taskSetup.startSearch().chain().modulus();
                    default -> 0; // exact numbers
                };
        int ownRight = 0;
        for (int i = 0; i < tasks.size(); i++) {
            Task task = tasks.get(i);
            for (int g = 0; g < q.samples(); g++) {
                Turn mine = own.get(key(task.id(), g));
                ownRight += mine.verdict().correct() ? 1 : 0;
                String text =
                        switch (mode) {
                            case GOLD -> gold(task, q.dataset());
                            case CORRUPT ->
                                mine.verdict().correct()
                                        ? AttemptIntervention.corrupt(
                                                mine.completion().text(),
                                                modulus,
                                                AttemptIntervention.corruptionSeed(q.seed(), task, g))
                                        : null;
                            case OTHER ->
                                own.get(key(tasks.get((i + 1) % tasks.size()).id(), g))
                                        .completion()
                                        .text();
                            case OWN -> throw new IllegalStateException("own is a plain evaluation");
                        };
                if (text != null) {
                    standIns.put(key(task.id(), g), text);
                }
            }
        }
        // 3. the K-turn episodes with attempt 1 replaced
        AttemptOverride override = (task, sample, turn, sampled) -> {
            String text = turn == 0 ? standIns.get(key(task.id(), sample)) : null;
            if (text == null) {
                return sampled;
            }
            return AttemptIntervention.standIn(text, policy.tokenizer().encode(text), sampled, policy.stopTokenIds());
        };
        List<Trajectory> kept = new ArrayList<>();
        for (Rollout r : SelfCorrectionEval.rollouts(
                policy, taskSetup, env, tasks, q.samples(), q.seed(), sampling, kvReuse, override, episodeDone)) {
            boolean replaced = standIns.containsKey(key(r.trajectory().taskId(), r.sample()));
            // a slip the verifier does not see (e.g. an answer left right) is no corruption
            boolean slipped = mode != AttemptIntervention.Mode.CORRUPT
                    || !r.trajectory().turn(0).verdict().correct();
            if (replaced && slipped) {
                kept.add(r.trajectory());
            }
        }
        int episodes = tasks.size() * q.samples();
        extra.put("intervene_n", kept.size());
        extra.put(
                "intervene_problems",
                kept.stream().map(Trajectory::taskId).distinct().count());
        extra.put("intervene_left_out", episodes - kept.size());
        extra.put("own_accuracy_t1", episodes == 0 ? 0.0 : ownRight / (double) episodes);
        if (kept.isEmpty()) {
            throw new IllegalArgumentException("--intervene " + mode.configName() + ": no episode to report (the"
                    + " policy's own first attempt was right, and wrong once slipped, on none of the " + episodes
                    + ")");
        }
        return kept;
    }

    private static String gold(Task task, String dataset) {
        String s = task.metadata().get("solution");
        if (s == null) {
            throw new IllegalArgumentException("--intervene gold needs the tasks' reference solutions (metadata"
                    + " 'solution'); task '" + task.id() + "' of " + dataset + " has none");
        }
        return s;
    }

    private static String key(String taskId, int sample) {
        return taskId + "\u0000" + sample;
    }
}
