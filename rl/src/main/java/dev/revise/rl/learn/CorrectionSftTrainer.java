package dev.revise.rl.learn;

import dev.revise.rl.SamplingParams;
import dev.revise.rl.TaskSource;
import dev.revise.rl.rollout.Rollout;
import dev.revise.rl.rollout.RolloutSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The supervised self-correction baselines of SCoRe's comparison (Kumar et al. 2024, section 6),
 * built on {@link SftLearner} over two-attempt rollouts of the current policy:
 *
 * <pre>
 *   STaR (correction traces):  keep trajectories with y1 wrong and y2 right; maximise log pi(y2 | x, y1, p)
 *   Pair-SFT:                  for a task with a wrong attempt y1- and a right attempt y+ among its
 *                              G samples, maximise log pi(y+ | x, y1-, p)
 * </pre>
 *
 * Each update collects {@code tasksPerStep} x {@code groupSize} fresh trajectories from {@code
 * rollouts} and takes one SFT step on the examples they yield. Whose samples those are is the
 * rollout source's business: the policy being trained (the data follows it, as in STaR's
 * iterations) or a frozen copy of the base (SCoRe's offline baselines, drawn as a stream: no
 * example is seen twice and none depends on training). Only the second attempt's tokens are
 * targets; the first attempt and the instruction are context.
 */
public final class CorrectionSftTrainer extends CountedTrainer {

    /** Which correction data becomes targets. */
    public enum Mode {
        STAR,
        PAIR
    }

    /**
     * @param mode STaR or Pair-SFT
     * @param steps updates of the run
     * @param tasksPerStep problems per update
     * @param groupSize samples per problem
     * @param sampling how attempts are sampled
     * @param rootSeed every rollout seed derives from it
     */
    public record Config(
            Mode mode, long steps, int tasksPerStep, int groupSize, SamplingParams sampling, long rootSeed) {
        public Config {
            if (steps < 1 || tasksPerStep < 1 || groupSize < 1) {
                throw new IllegalArgumentException(
                        "train.steps, train.tasks_per_step and train.group_size must be >= 1");
            }
        }

        /** The same settings sampling with {@code s} (e.g. with the policy's stop tokens). */
        public Config withSampling(SamplingParams s) {
            return new Config(mode, steps, tasksPerStep, groupSize, s, rootSeed);
        }
    }

    private final Config config;
    private final TaskSource tasks;
    private final RolloutSource rollouts;
    private final SftLearner learner;

    public CorrectionSftTrainer(Config config, TaskSource tasks, RolloutSource rollouts, SftLearner learner) {
        this.config = config;
        this.tasks = tasks;
        this.rollouts = rollouts;
        this.learner = learner;
    }

    @Override
    public long totalSteps() {
        return config.steps();
    }

    @Override
    protected Map<String, Double> update(long step) {
        // 1. collect two-attempt trajectories with the current policy
        Collected c = Collected.next(
                tasks, rollouts, config.tasksPerStep(), config.groupSize(), config.rootSeed(), step, config.sampling());
        List<Rollout> collected = c.rollouts();
        double seconds = c.seconds();
        // 2. correction examples
        List<SftExample> examples = config.mode() == Mode.STAR ? star(collected) : pairs(collected);
        Map<String, Double> stats = new LinkedHashMap<>();
        stats.put("sft/examples", (double) examples.size());
        // 3. one SFT step (none when the batch yielded no example: counted, not a failure)
        if (examples.isEmpty()) {
            learner.optimizer().idleStep(); // the schedule counts this update's step all the same
            stats.put(MetricNames.STEP_SKIPPED, 0.0);
        } else {
            stats.putAll(learner.update(examples));
        }
        stats.putAll(BatchStats.of(collected, seconds));
        stats.putAll(c.sourceMetrics());
        return stats;
    }

    /** y1 wrong, y2 right: the whole trajectory, attempt 2 as the target. */
    static List<SftExample> star(List<Rollout> rollouts) {
        List<SftExample> out = new ArrayList<>();
        for (Rollout r : rollouts) {
            oneRow(r);
            if (r.trajectory().size() >= 2
                    && !r.trajectory().turn(0).verdict().correct()
                    && r.trajectory().turn(1).verdict().correct()) {
                int end = lastTokenOf(r, 1) + 1;
                int[] tokens = java.util.Arrays.copyOf(r.tokens(), end);
                boolean[] target = new boolean[end];
                for (int i = 1; i < end; i++) {
                    target[i] = r.turnOfToken()[i] == 1;
                }
                out.add(new SftExample(tokens, target, 1.0));
            }
        }
        return out;
    }

    /** Within each group: a wrong first attempt's context followed by another sample's right attempt. */
    static List<SftExample> pairs(List<Rollout> rollouts) {
        Map<String, List<Rollout>> groups = new LinkedHashMap<>();
        for (Rollout r : rollouts) {
            groups.computeIfAbsent(r.trajectory().groupId(), k -> new ArrayList<>())
                    .add(r);
        }
        List<SftExample> out = new ArrayList<>();
        for (List<Rollout> g : groups.values()) {
            List<int[]> right = new ArrayList<>();
            for (Rollout r : g) {
                for (int t = 0; t < r.trajectory().size(); t++) {
                    if (r.trajectory().turn(t).verdict().correct()) {
                        right.add(r.trajectory().turn(t).completion().tokenIds());
                        break;
                    }
                }
            }
            if (right.isEmpty()) {
                continue;
            }
            int next = 0;
            for (Rollout r : g) {
                oneRow(r);
                if (r.trajectory().size() < 2
                        || r.trajectory().turn(0).verdict().correct()) {
                    continue;
                }
                int contextEnd = firstTokenOf(r, 1); // prompt, wrong y1, instruction
                int[] y = right.get(next++ % right.size());
                int[] tokens = new int[contextEnd + y.length];
                System.arraycopy(r.tokens(), 0, tokens, 0, contextEnd);
                System.arraycopy(y, 0, tokens, contextEnd, y.length);
                out.add(SftExample.completion(tokens, contextEnd, 1.0));
            }
        }
        return out;
    }

    /** Two attempts share one context (a window over one earlier attempt never drops it). */
    private static void oneRow(Rollout r) {
        if (r.rows() != 1) {
            throw new IllegalStateException("rollout of '" + r.trajectory().taskId() + "' has " + r.rows()
                    + " token rows; the correction baselines need the two attempts in one context");
        }
    }

    private static int firstTokenOf(Rollout r, int turn) {
        for (int i = 0; i < r.turnOfToken().length; i++) {
            if (r.turnOfToken()[i] == turn) {
                return i;
            }
        }
        throw new IllegalStateException("rollout of '" + r.trajectory().taskId() + "' has no tokens of turn " + turn);
    }

    private static int lastTokenOf(Rollout r, int turn) {
        for (int i = r.turnOfToken().length - 1; i >= 0; i--) {
            if (r.turnOfToken()[i] == turn) {
                return i;
            }
        }
        throw new IllegalStateException("rollout of '" + r.trajectory().taskId() + "' has no tokens of turn " + turn);
    }
}
