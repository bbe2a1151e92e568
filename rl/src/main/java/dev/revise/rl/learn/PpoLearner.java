package dev.revise.rl.learn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.revise.rl.Policy;
import dev.revise.rl.ScoreOptions;
import dev.revise.rl.TokenScores;
import dev.revise.rl.math.Advantages;
import dev.revise.rl.math.Clip;
import dev.revise.rl.math.PolicyLosses;
import dev.revise.rl.math.PolicyLosses.Aggregation;
import dev.revise.rl.math.PolicyLosses.SurrogateStats;
import dev.revise.rl.rollout.Rollout;
import dev.revise.rl.train.LearningRateSchedule;
import dev.revise.rl.train.Scopes;
import dev.revise.rl.train.TensorConstants;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * PPO (Schulman et al. 2017, arXiv 1707.06347) for language policies, with a value head on the
 * policy's final hidden states (InstructGPT-style, Ouyang et al. 2022).
 *
 * <pre>
 *   per generated token t of a trajectory (prompt and feedback tokens are not time steps):
 *     r_t  = turn reward on the last token of each turn  - beta_turn(t) * k1_t     (KL in the reward)
 *     A_t, R_t = GAE(r, V_old; gamma, lambda), A whitened over the batch
 *   L = agg( -min(rho A, clip(rho, 1-eps_low, 1+eps_high) A) )
 *       + c_v agg( 0.5 max((V-R)^2, (V_old + clip(V - V_old, -c, c) - R)^2) ) - c_H agg(H)
 *   epochs x mini-batches of the rollout batch, one optimizer step per mini-batch
 * </pre>
 */
public final class PpoLearner implements Learner {

    /**
     * @param gamma discount per generated token
     * @param lambda GAE's lambda
     * @param klInReward beta per turn of the k1 penalty added to the token rewards (last value repeats)
     * @param clip ratio clipping
     * @param valueClip c of the clipped value loss
     * @param valueCoefficient c_v
     * @param entropyCoefficient c_H (0 disables)
     * @param epochs passes over the rollout batch
     * @param miniBatchRows rows per optimizer step (0 = the whole batch)
     * @param optimizer AdamW over the policy and the value head, one step per mini-batch
     * @param temperature the rollouts' sampling temperature: log-probs, KL and entropy are those of
     *     softmax(logits / T)
     */
    public record Config(
            double gamma,
            double lambda,
            double[] klInReward,
            Clip clip,
            float valueClip,
            double valueCoefficient,
            double entropyCoefficient,
            int epochs,
            int miniBatchRows,
            PolicyOptimizer.Config optimizer,
            double temperature) {
        public Config {
            if (epochs < 1 || miniBatchRows < 0) {
                throw new IllegalArgumentException(
                        "ppo.epochs must be >= 1 and ppo.mini_batch_rows >= 0, got " + epochs + ", " + miniBatchRows);
            }
            ScoreOptions.checkTemperature(temperature, "the learner's sampling temperature");
        }

        public static Config defaults(LearningRateSchedule schedule) {
            return new Config(
                    1.0,
                    0.95,
                    new double[] {0.05},
                    Clip.standard(),
                    0.2f,
                    0.5,
                    0.0,
                    2,
                    0,
                    new PolicyOptimizer.Config(schedule, dev.revise.rl.train.AdamW.Config.defaults()),
                    1.0);
        }
    }

    private final Policy policy;
    private final Policy reference;
    private final ValueHead valueHead;
    private final Config config;
    private final PolicyOptimizer optimizer;
    private final TensorConstants constants;
    private final Map<String, NDArray> trainable = new LinkedHashMap<>();

    /** @param reference the frozen initial policy (for the KL in the reward), or null for no KL */
    public PpoLearner(Policy policy, Policy reference, int hiddenSize, Config config) {
        this.policy = policy;
        this.reference = reference;
        this.config = config;
        this.valueHead = new ValueHead(policy.manager(), hiddenSize);
        this.optimizer = new PolicyOptimizer(policy.manager(), config.optimizer());
        this.constants = new TensorConstants(policy.manager());
        trainable.putAll(policy.parameters());
        trainable.putAll(valueHead.parameters());
    }

    public ValueHead valueHead() {
        return valueHead;
    }

    @Override
    public long steps() {
        return optimizer.steps();
    }

    /** Optimizer steps of one update over {@code rows} rollouts: epochs x mini-batches. */
    public static long optimizerStepsPerUpdate(int epochs, int miniBatchRows, int rows) {
        int mini = miniBatchRows == 0 ? rows : miniBatchRows;
        return (long) epochs * ((rows + mini - 1) / mini);
    }

    @Override
    public Map<String, Double> update(List<Rollout> rollouts) {
        Map<String, Double> stats = new LinkedHashMap<>();
        RewardStats.put(rollouts, stats);
        for (Rollout r : rollouts) {
            if (r.rows() != 1) {
                // token-level GAE runs along one sequence; a windowed episode is several
                throw new IllegalArgumentException("PPO needs each episode as one token sequence; env.window gave"
                        + " task '" + r.trajectory().taskId() + "' " + r.rows() + " (use grpo, rloo or reinforce)");
            }
        }
        double[][] noAdvantages = new double[rollouts.size()][];
        for (int i = 0; i < noAdvantages.length; i++) {
            noAdvantages[i] = new double[rollouts.get(i).trajectory().size()];
        }
        TokenColumns all = TokenColumns.of(rollouts, noAdvantages);
        int cols = all.columns();
        int b = all.size();
        // 1. old log-probs, old values and reference log-probs (no gradient); the policy's entropy
        float[] oldLogp;
        float[] oldValues;
        float[] refLogp = null;
        try (NDManager scope = Scopes.named(policy.manager(), "ppo-rollout-scores")) {
            TokenScores s =
                    policy.score(scope, all.batch(), new ScoreOptions(true, true).atTemperature(config.temperature()));
            oldLogp = s.logProbs().toFloatArray();
            SamplerMismatch mismatch = new SamplerMismatch();
            mismatch.add(oldLogp, all.samplerLogProbs(), all.mask());
            mismatch.put(stats, 0);
            float[] h = s.entropy().toFloatArray();
            double entropySum = 0;
            for (int k = 0; k < h.length; k++) {
                entropySum += h[k] * all.mask()[k];
            }
            stats.put(MetricNames.ENTROPY, entropySum / Math.max(1, all.generatedTokens()));
            NDArray v = valueHead.values(s.hidden()); // (B, T): value of the state before token t+1 is at t
            oldValues = v.get(":, :-1").toFloatArray();
            if (reference != null) {
                refLogp = reference
                        .score(scope, all.batch(), ScoreOptions.LOGPROBS_ONLY.atTemperature(config.temperature()))
                        .logProbs()
                        .toFloatArray();
            }
        }
        // 2. token rewards (turn rewards on each turn's last token, minus the KL) and GAE
        float[] advantages = new float[b * cols];
        float[] returns = new float[b * cols];
        double klSum = 0;
        for (int i = 0; i < b; i++) {
            List<Integer> columns = new ArrayList<>();
            for (int c = 0; c < cols; c++) {
                if (all.mask()[i * cols + c] > 0) {
                    columns.add(c);
                }
            }
            double[] r = new double[columns.size()];
            double[] v = new double[columns.size()];
            double[] turnRewards = rollouts.get(i).rewards().perTurn();
            for (int k = 0; k < columns.size(); k++) {
                int c = i * cols + columns.get(k);
                int turn = all.turn()[c];
                boolean lastOfTurn = k + 1 == columns.size() || all.turn()[i * cols + columns.get(k + 1)] != turn;
                r[k] = lastOfTurn ? turnRewards[turn] : 0;
                if (refLogp != null) {
                    double kl = oldLogp[c] - refLogp[c];
                    klSum += kl;
                    r[k] -= config.klInReward()[Math.min(turn, config.klInReward().length - 1)] * kl;
                }
                v[k] = oldValues[c];
            }
            Advantages.Gae gae = Advantages.gae(r, v, config.gamma(), config.lambda());
            for (int k = 0; k < columns.size(); k++) {
                advantages[i * cols + columns.get(k)] = (float) gae.advantages()[k];
                returns[i * cols + columns.get(k)] = (float) gae.returns()[k];
            }
        }
        Advantages.whitenMasked(advantages, all.mask(), 1e-8);
        stats.put("kl/reward_k1_mean", klSum / Math.max(1, all.generatedTokens()));
        // 3. epochs x mini-batches of clipped policy + value loss
        int mini = config.miniBatchRows() == 0 ? b : config.miniBatchRows();
        double policyLoss = 0;
        double valueLoss = 0;
        SurrogateStats surrogateStats = SurrogateStats.NONE;
        PolicyOptimizer.Step last = null;
        int skippedNow = 0;
        SplittableRandom rng = new SplittableRandom(optimizer.steps());
        for (int epoch = 0; epoch < config.epochs(); epoch++) {
            int[] order = permutation(b, rng);
            for (int from = 0; from < b; from += mini) {
                int to = Math.min(b, from + mini);
                try (NDManager scope = Scopes.step(policy.manager(), optimizer.steps())) {
                    int[] rowsIdx = java.util.Arrays.copyOfRange(order, from, to);
                    int[][] rows = new int[rowsIdx.length][];
                    for (int j = 0; j < rows.length; j++) {
                        rows[j] = all.batch().rows()[rowsIdx[j]];
                    }
                    Shape shape = new Shape(rows.length, cols);
                    NDArray mask = scope.create(gather(all.mask(), rowsIdx, cols), shape);
                    NDArray old = scope.create(gather(oldLogp, rowsIdx, cols), shape);
                    NDArray oldV = scope.create(gather(oldValues, rowsIdx, cols), shape);
                    NDArray adv = scope.create(gather(advantages, rowsIdx, cols), shape);
                    NDArray ret = scope.create(gather(returns, rowsIdx, cols), shape);
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        boolean entropy = config.entropyCoefficient() != 0;
                        TokenScores s = policy.score(
                                scope,
                                padded(rows, cols + 1),
                                new ScoreOptions(entropy, true).atTemperature(config.temperature()));
                        PolicyLosses.Surrogate sur =
                                PolicyLosses.clipped(s.logProbs(), old, adv, config.clip(), constants);
                        NDArray values = valueHead.values(s.hidden()).get(":, :-1");
                        NDArray pl = PolicyLosses.aggregate(sur.loss(), mask, Aggregation.TOKEN_MEAN, 1f, constants);
                        NDArray vl = PolicyLosses.aggregate(
                                PolicyLosses.clippedValueLoss(values, oldV, ret, config.valueClip(), constants),
                                mask,
                                Aggregation.TOKEN_MEAN,
                                1f,
                                constants);
                        NDArray loss = pl.add(vl.mul(constants.of((float) config.valueCoefficient())));
                        if (entropy) {
                            loss = loss.sub(
                                    PolicyLosses.aggregate(s.entropy(), mask, Aggregation.TOKEN_MEAN, 1f, constants)
                                            .mul(constants.of((float) config.entropyCoefficient())));
                        }
                        policy.backward(collector, loss);
                        policyLoss = pl.getFloat();
                        valueLoss = vl.getFloat();
                        surrogateStats = surrogateStats.plus(sur.stats(gather(all.mask(), rowsIdx, cols)));
                    }
                    // 4. one optimizer step per mini-batch
                    if (last == null) {
                        stats.put(MetricNames.LEARNING_RATE, optimizer.learningRate());
                    }
                    last = optimizer.step(trainable);
                    if (last.applied()) {
                        policy.parametersUpdated();
                    } else {
                        skippedNow++;
                    }
                }
            }
        }
        // 5. statistics
        stats.put(MetricNames.LOSS, policyLoss);
        stats.put("value/loss", valueLoss);
        stats.put(MetricNames.CLIP_FRACTION, surrogateStats.clipFraction());
        stats.put(MetricNames.APPROX_KL, surrogateStats.approxKl());
        stats.put(MetricNames.GRAD_NORM, last == null ? 0 : last.gradNorm());
        stats.put(MetricNames.SKIPPED_STEPS, (double) optimizer.skippedSteps());
        stats.put(MetricNames.STEP_SKIPPED, skippedNow > 0 ? 1.0 : 0.0);
        return stats;
    }

    @Override
    public Map<String, NDArray> stateTensors() {
        Map<String, NDArray> out = new LinkedHashMap<>(optimizer.stateTensors());
        out.putAll(valueHead.parameters());
        return out;
    }

    @Override
    public Map<String, Long> counters() {
        return optimizer.counters();
    }

    @Override
    public void restoreState(Map<String, NDArray> tensors, Map<String, Long> counters) {
        for (Map.Entry<String, NDArray> p : valueHead.parameters().entrySet()) {
            NDArray saved = tensors.get(p.getKey());
            if (saved == null || !saved.getShape().equals(p.getValue().getShape())) {
                throw new IllegalArgumentException("learner state has no tensor '" + p.getKey() + "' of shape "
                        + p.getValue().getShape());
            }
            p.getValue().set(saved.toFloatArray());
        }
        optimizer.restore(tensors, counters, trainable);
    }

    /** Rows of the full batch padded to {@code length} tokens so every mini-batch has the same columns. */
    private static dev.revise.rl.TokenBatch padded(int[][] rows, int length) {
        int[][] out = new int[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            out[i] = java.util.Arrays.copyOf(rows[i], length);
        }
        return new dev.revise.rl.TokenBatch(out);
    }

    private static float[] gather(float[] values, int[] rows, int cols) {
        float[] out = new float[rows.length * cols];
        for (int j = 0; j < rows.length; j++) {
            System.arraycopy(values, rows[j] * cols, out, j * cols, cols);
        }
        return out;
    }

    private static int[] permutation(int n, SplittableRandom rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    @Override
    public void close() {
        optimizer.close();
        constants.close();
        valueHead.close();
    }
}
