package dev.revise.experiments.learners;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.model.LlamaConfig;
import dev.revise.policies.model.LlamaModel;
import dev.revise.policies.tokenizer.CharTokenizer;
import dev.revise.policies.tokenizer.ChatFormat;
import dev.revise.rl.Completion;
import dev.revise.rl.Feedback;
import dev.revise.rl.FinishReason;
import dev.revise.rl.Message;
import dev.revise.rl.RewardBreakdown;
import dev.revise.rl.Trajectory;
import dev.revise.rl.Turn;
import dev.revise.rl.Verdict;
import dev.revise.rl.learn.GrpoConfig;
import dev.revise.rl.learn.GrpoLearner;
import dev.revise.rl.learn.MetricNames;
import dev.revise.rl.learn.PolicyOptimizer;
import dev.revise.rl.math.Clip;
import dev.revise.rl.math.KlEstimators;
import dev.revise.rl.math.PolicyLosses.Aggregation;
import dev.revise.rl.rollout.Rollout;
import dev.revise.rl.train.AdamW;
import dev.revise.rl.train.LearningRateSchedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GrpoLearnerTest {
    static final LlamaConfig CONFIG =
            new LlamaConfig("llama", 32, 32, 48, 2, 4, 2, 8, 1e-5, 1e4, false, false, 128, 1, 2);

    static LlamaPolicy policy(NDManager root, long seed) {
        return new LlamaPolicy(
                LlamaModel.random(CONFIG, root, Device.cpu(), seed),
                CharTokenizer.of("0123456789+-=|QA:", List.of()),
                null,
                ChatFormat.PLAIN);
    }

    /** Groups of G two-turn rollouts with random tokens: prompt (5), attempt 1 (4), feedback (1), attempt 2 (4). */
    static List<Rollout> rollouts(int groups, int g, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Rollout> out = new ArrayList<>();
        for (int group = 0; group < groups; group++) {
            for (int j = 0; j < g; j++) {
                int[] lengths = {5, 4 + rng.nextInt(3), 1, 4 + rng.nextInt(3)};
                int n = lengths[0] + lengths[1] + lengths[2] + lengths[3];
                int[] tokens = new int[n];
                int[] turns = new int[n];
                float[] logps = new float[n];
                int pos = 0;
                for (int seg = 0; seg < 4; seg++) {
                    for (int i = 0; i < lengths[seg]; i++, pos++) {
                        tokens[pos] = 3 + rng.nextInt(28);
                        turns[pos] = seg == 1 ? 0 : seg == 3 ? 1 : -1;
                        logps[pos] = turns[pos] >= 0 ? (float) -rng.nextDouble(3) : 0f;
                    }
                }
                double r1 = rng.nextInt(2);
                double r2 = rng.nextInt(2);
                List<Turn> t = new ArrayList<>();
                for (int k = 0; k < 2; k++) {
                    double r = k == 0 ? r1 : r2;
                    Verdict v = r > 0 ? Verdict.correct("1", "ok") : Verdict.incorrect("0", 0, "no");
                    t.add(new Turn(
                            k,
                            List.of(Message.user("Q")),
                            new Completion("1", new int[] {1}, new float[] {0}, FinishReason.STOP_TOKEN),
                            v,
                            k == 0 ? Feedback.retry("|") : Feedback.end()));
                }
                Trajectory traj = new Trajectory("task" + group, "task" + group + "@0", t, 0, j);
                double[] perTurn = {r1, r2};
                out.add(new Rollout(
                        traj, j, tokens, turns, logps, new RewardBreakdown(perTurn, Map.of("correct", perTurn))));
            }
        }
        return out;
    }

    static GrpoConfig config(int microBatchRows, double klCoefficient, double entropy) {
        return config(microBatchRows, klCoefficient, entropy, 1.0);
    }

    static GrpoConfig config(int microBatchRows, double klCoefficient, double entropy, double temperature) {
        return new GrpoConfig(
                GrpoConfig.AdvantageMode.GROUP_STD,
                1.0,
                false,
                Clip.higher(),
                Aggregation.TOKEN_MEAN,
                1f,
                new GrpoConfig.Kl(KlEstimators.Estimator.K3, new double[] {0.1, klCoefficient}),
                entropy,
                GrpoConfig.Passes.single(microBatchRows),
                0,
                new PolicyOptimizer.Config(
                        LearningRateSchedule.constant(1e-2), new AdamW.Config(0.9, 0.99, 1e-8, 0.0, 1.0)),
                temperature);
    }

    @Test
    void microBatchesOneByEightEqualEightByOne() {
        List<Rollout> batch = rollouts(2, 4, 3);
        byte[][] after = new byte[2][];
        double[] losses = new double[2];
        int[] micro = {8, 1};
        for (int mode = 0; mode < 2; mode++) {
            try (NDManager root = NDManager.newBaseManager();
                    LlamaPolicy p = policy(root, 1);
                    LlamaPolicy ref = policy(root, 1);
                    GrpoLearner learner = new GrpoLearner(p, ref, config(micro[mode], 0.05, 0.01))) {
                Map<String, Double> stats = learner.update(batch);
                losses[mode] = stats.get(MetricNames.LOSS);
                after[mode] = p.snapshot();
            }
        }
        assertEquals(losses[0], losses[1], 1e-5, "loss with micro-batches of 8 vs 1");
        java.nio.FloatBuffer a = java.nio.ByteBuffer.wrap(after[0])
                .order(java.nio.ByteOrder.nativeOrder())
                .asFloatBuffer();
        java.nio.FloatBuffer b = java.nio.ByteBuffer.wrap(after[1])
                .order(java.nio.ByteOrder.nativeOrder())
                .asFloatBuffer();
        for (int i = 0; i < a.limit(); i++) {
            assertEquals(a.get(i), b.get(i), 1e-4, "parameter element " + i);
        }
    }

    @Test
    void everyParameterChangesAndStatsAreReported() {
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy p = policy(root, 2);
                LlamaPolicy ref = policy(root, 2);
                GrpoLearner learner = new GrpoLearner(p, ref, config(3, 0.05, 0.01))) {
            Map<String, float[]> before = new java.util.HashMap<>();
            p.parameters().forEach((n, a) -> before.put(n, a.toFloatArray()));
            Map<String, Double> stats = learner.update(rollouts(3, 4, 5));
            p.parameters().forEach((n, a) -> assertThat(a.toFloatArray()).as(n).isNotEqualTo(before.get(n)));
            assertEquals(1, learner.steps());
            assertEquals(1, p.version());
            assertThat(stats)
                    .containsKeys(
                            MetricNames.LOSS,
                            MetricNames.CLIP_FRACTION,
                            MetricNames.APPROX_KL,
                            MetricNames.GRAD_NORM,
                            "reward/turn1",
                            "reward/turn2",
                            "kl/turn1",
                            MetricNames.ENTROPY,
                            MetricNames.ZERO_VARIANCE_GROUPS);
            // first update is on-policy: the ratio is 1 up to float rounding, nothing is clipped
            assertEquals(0.0, stats.get(MetricNames.CLIP_FRACTION), 1e-9);
            assertEquals(0.0, stats.get(MetricNames.APPROX_KL), 1e-6);
            // the policy equals the reference before the update: KL 0
            assertEquals(0.0, stats.get("kl/turn1"), 1e-5);
        }
    }

    /**
     * The exact KL in the learner equals sum_v p(v) (log p(v) - log q(v)) computed by hand from both
     * models' full distributions, averaged over the turn's generated tokens.
     */
    @Test
    void exactKlInTheLossMatchesAFullVocabularyHandComputation() {
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy p = policy(root, 2);
                LlamaPolicy ref = policy(root, 3)) {
            GrpoConfig c = config(0, 0.05, 0);
            GrpoConfig exact = c.withKl(new GrpoConfig.Kl(KlEstimators.Estimator.EXACT, new double[] {0.1, 0.05}));
            List<Rollout> batch = rollouts(2, 3, 11);
            double expected = 0;
            double count = 0;
            try (NDManager scope = root.newSubManager()) {
                dev.revise.rl.TokenBatch tb = new dev.revise.rl.TokenBatch(
                        batch.stream().map(Rollout::tokens).toArray(int[][]::new));
                float[] lp = p.score(scope, tb, dev.revise.rl.ScoreOptions.FULL_DISTRIBUTION)
                        .fullLogProbs()
                        .toFloatArray();
                float[] lq = ref.score(scope, tb, dev.revise.rl.ScoreOptions.FULL_DISTRIBUTION)
                        .fullLogProbs()
                        .toFloatArray();
                int cols = tb.maxLength() - 1;
                int v = CONFIG.vocabSize();
                for (int i = 0; i < batch.size(); i++) {
                    int[] turn = batch.get(i).turnOfToken();
                    for (int j = 1; j < turn.length; j++) {
                        if (turn[j] == 0) {
                            int at = (i * cols + j - 1) * v;
                            for (int k = 0; k < v; k++) {
                                expected += Math.exp(lp[at + k]) * (lp[at + k] - lq[at + k]);
                            }
                            count++;
                        }
                    }
                }
            }
            try (GrpoLearner learner = new GrpoLearner(p, ref, exact)) {
                Map<String, Double> stats = learner.update(batch);
                assertEquals(expected / count, stats.get("kl/turn1"), 1e-5);
                assertThat(stats.get("kl/turn1")).isGreaterThan(0.0);
                assertTrue(Double.isFinite(stats.get(MetricNames.LOSS)));
            }
        }
    }

    /**
     * KL in the reward: each turn's reward drops by beta * sum of k1 over its tokens, so with all
     * rewards equal the advantages come from the KL alone; the adaptive controller raises the
     * coefficient when the KL is above target and lowers it below, and the multiplier survives a
     * state round trip.
     */
    @Test
    void klInTheRewardAndTheAdaptiveCoefficient() {
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy p = policy(root, 2);
                LlamaPolicy ref = policy(root, 3)) {
            GrpoConfig c = config(0, 0.05, 0);
            java.util.function.DoubleFunction<GrpoConfig> withTarget = target ->
                    c.withKl(new GrpoConfig.Kl(KlEstimators.Estimator.K1, new double[] {0.1}, true, target, 6));
            List<Rollout> same = new ArrayList<>();
            for (Rollout r : rollouts(2, 3, 13)) {
                same.add(r.withRewards(new RewardBreakdown(new double[] {1, 1}, Map.of())));
            }
            try (GrpoLearner low = new GrpoLearner(p, ref, withTarget.apply(1e-6))) {
                Map<String, Double> stats = low.update(same);
                double kl = stats.get("kl/turn1");
                assertThat(kl).isNotEqualTo(0.0);
                // rewards all equal: a non-zero loss gradient can only come from the KL penalty
                assertThat(stats.get(MetricNames.GRAD_NORM)).isGreaterThan(0.0);
                // measured KL far above the tiny target: the coefficient grows by the clipped 20% x 6/6
                assertEquals(1.2, stats.get("kl/coef_scale"), 1e-12);
                Map<String, Long> counters = low.counters();
                try (GrpoLearner copy = new GrpoLearner(p, ref, withTarget.apply(1e-6))) {
                    copy.restoreState(low.stateTensors(), counters);
                    assertEquals(counters, copy.counters());
                }
            }
            try (GrpoLearner high = new GrpoLearner(p, ref, withTarget.apply(1e6))) {
                assertEquals(0.8, high.update(same).get("kl/coef_scale"), 1e-12);
            }
        }
    }

    @Test
    void zeroVarianceGroupsAreFilteredWhenAsked() {
        List<Rollout> batch = rollouts(2, 2, 7);
        List<Rollout> same = new ArrayList<>();
        for (Rollout r : batch) {
            double[] ones = {1, 1};
            same.add(new Rollout(
                    r.trajectory(),
                    r.sample(),
                    r.tokens(),
                    r.turnOfToken(),
                    r.sampleLogProbs(),
                    new RewardBreakdown(ones, Map.of())));
        }
        GrpoConfig c = config(0, 0, 0);
        GrpoConfig filtering = c.withKl(GrpoConfig.Kl.none()).withFilterZeroVarianceGroups(true);
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy p = policy(root, 3);
                GrpoLearner learner = new GrpoLearner(p, null, filtering)) {
            byte[] before = p.snapshot();
            Map<String, Double> stats = learner.update(same);
            assertEquals(1.0, stats.get(MetricNames.ZERO_VARIANCE_GROUPS));
            assertTrue(java.util.Arrays.equals(before, p.snapshot()), "an all-filtered batch must not change weights");
        }
    }

    @Test
    void theLearnerScoresAtTheSamplingTemperature() {
        List<Rollout> batch = rollouts(2, 4, 9);
        double[] temperatures = {1.0, 0.5};
        double[] reported = new double[2];
        double[] expected = new double[2];
        for (int k = 0; k < 2; k++) {
            try (NDManager root = NDManager.newBaseManager();
                    LlamaPolicy p = policy(root, 1);
                    LlamaPolicy ref = policy(root, 1);
                    GrpoLearner learner = new GrpoLearner(p, ref, config(0, 0, 0, temperatures[k]))) {
                // the policy's entropy at T over the generated tokens, before the update
                try (NDManager scope = root.newSubManager()) {
                    dev.revise.rl.TokenBatch tb = new dev.revise.rl.TokenBatch(
                            batch.stream().map(Rollout::tokens).toArray(int[][]::new));
                    float[] h = p.score(
                                    scope, tb, dev.revise.rl.ScoreOptions.WITH_ENTROPY.atTemperature(temperatures[k]))
                            .entropy()
                            .toFloatArray();
                    int cols = tb.maxLength() - 1;
                    double sum = 0;
                    int n = 0;
                    for (int i = 0; i < batch.size(); i++) {
                        int[] turns = batch.get(i).turnOfToken();
                        for (int j = 1; j < turns.length; j++) {
                            if (turns[j] >= 0) {
                                sum += h[i * cols + j - 1];
                                n++;
                            }
                        }
                    }
                    expected[k] = sum / n;
                }
                reported[k] = learner.update(batch).get(MetricNames.ENTROPY);
            }
        }
        assertEquals(expected[0], reported[0], 1e-4, "entropy at T = 1");
        assertEquals(expected[1], reported[1], 1e-4, "entropy at T = 0.5");
        // a random policy is nearly uniform, so the gap is small, but ten times the tolerance above
        assertTrue(
                reported[0] - reported[1] > 1e-3,
                "a colder distribution has less entropy: " + reported[1] + " vs " + reported[0]);
    }
}
