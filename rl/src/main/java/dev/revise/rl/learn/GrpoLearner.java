package dev.revise.rl.learn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.revise.rl.Policy;
import dev.revise.rl.RewardBreakdown;
import dev.revise.rl.ScoreOptions;
import dev.revise.rl.TokenScores;
import dev.revise.rl.math.Advantages;
import dev.revise.rl.math.KlEstimators;
import dev.revise.rl.math.PolicyLosses;
import dev.revise.rl.math.PolicyLosses.Aggregation;
import dev.revise.rl.math.PolicyLosses.SurrogateStats;
import dev.revise.rl.rollout.Rollout;
import dev.revise.rl.train.Scopes;
import dev.revise.rl.train.TensorConstants;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * GRPO (Shao et al. 2024, DeepSeekMath, arXiv 2402.03300) with the Dr. GRPO (arXiv 2503.20783)
 * and DAPO (arXiv 2503.14476) options, over multi-turn trajectories; RLOO and REINFORCE are its
 * advantage modes.
 *
 * <pre>
 *   J(theta) = E[ agg_t ( w_t min(rho_t A_t, clip(rho_t, 1 - eps_low, 1 + eps_high) A_t)
 *                         - beta_turn(t) KL_t(pi_theta || pi_ref) + c_H H_t ) ]
 *   rho_t = pi_theta(y_t | ...) / pi_old(y_t | ...)
 *   w_t   = min(pi_old / pi_sampler, C) with grpo.rollout_is_cap = C (truncated importance
 *           sampling of the rollout/learner mismatch), else 1
 *   A_t   = advantage of the turn that generated token t: per-turn returns G_k = sum_j gamma^(j-k) r_j,
 *           made group-relative among the G samples of the task that reached turn k:
 *           (G_k - mean) / (std + eps) (GRPO), G_k - mean (Dr. GRPO), leave-one-out (RLOO),
 *           or G_k - batch mean (REINFORCE with a baseline)
 * </pre>
 *
 * Each update takes {@code epochs x miniBatches} optimizer steps on the batch (TRL's
 * num_iterations x steps_per_generation, verl's ppo_epochs x mini-batches). pi_old is the policy
 * before the update, scored once without gradient, so the first step's ratio is exactly 1; with
 * one step per batch the ratio stays 1 and clipping cannot act. Options: clip-higher
 * (eps_high > eps_low), dual clip, the three loss aggregations of {@link Aggregation} (the settings: {@link GrpoConfig}), per-turn KL
 * coefficients with k2/k3/exact estimators in the loss or k1 in the reward, an entropy bonus, and
 * DAPO's filtering of groups whose returns are equal at every turn. Log-probs, KL and entropy are
 * those of softmax(logits / T) for the rollouts' sampling temperature T, as in verl and OpenRLHF.
 * The policy's entropy and the sampler/learner log-prob mismatch are always reported.
 */
public final class GrpoLearner implements Learner {

    private final Policy policy;
    private final Policy reference;
    private final GrpoConfig config;
    private final PolicyOptimizer optimizer;
    private final TensorConstants constants;
    /** The adaptive controller's multiplier of every KL coefficient (1 when fixed). */
    private double klScale = 1.0;

    /** @param reference the frozen initial policy, or null when the KL is disabled */
    public GrpoLearner(Policy policy, Policy reference, GrpoConfig config) {
        if (config.kl().enabled() && reference == null) {
            throw new IllegalArgumentException("a KL coefficient is set but no reference policy was given");
        }
        this.policy = policy;
        this.reference = reference;
        this.config = config;
        this.optimizer = new PolicyOptimizer(policy.manager(), config.optimizer());
        this.constants = new TensorConstants(policy.manager());
    }

    public PolicyOptimizer optimizer() {
        return optimizer;
    }

    @Override
    public long steps() {
        return optimizer.steps();
    }

    @Override
    public Map<String, Double> update(List<Rollout> rollouts) {
        long started = System.nanoTime();
        Map<String, Double> stats = new LinkedHashMap<>();
        RewardStats.put(rollouts, stats);
        // 1. groups with no signal: equal raw returns at every turn (before any KL penalty)
        List<List<Rollout>> groups = groups(rollouts);
        List<Rollout> kept = new ArrayList<>();
        int zeroVariance = 0;
        for (List<Rollout> group : groups) {
            boolean noSignal = Advantages.zeroVariancePerTurn(returns(group));
            zeroVariance += noSignal ? 1 : 0;
            if (!(noSignal && config.filterZeroVarianceGroups())) {
                kept.addAll(group);
            }
        }
        stats.put(MetricNames.ZERO_VARIANCE_GROUPS, groups.isEmpty() ? 0 : (double) zeroVariance / groups.size());
        stats.put(MetricNames.LEARNING_RATE, optimizer.learningRate());
        if (kept.isEmpty()) {
            for (int i = 0; i < config.passes().optimizerSteps(); i++) {
                optimizer.idleStep(); // nothing to learn is not a numerical failure
            }
            stats.put(MetricNames.STEP_SKIPPED, 0.0);
            putOptimizerCounters(stats);
            return stats;
        }
        // 2. the KL in the reward lowers each turn's reward before advantages
        double measuredKl = Double.NaN;
        if (config.kl().inReward() && config.kl().enabled()) {
            double[] klOut = new double[1];
            kept = klPenalised(kept, klOut, stats);
            measuredKl = klOut[0];
        }
        // 3. advantages from per-turn returns, relative within each task's group
        List<double[]> keptAdvantages = new ArrayList<>();
        for (List<Rollout> group : groups(kept)) {
            double[][] returns = returns(group);
            double[][] adv =
                    switch (config.advantage()) {
                        case GROUP_STD -> Advantages.perTurnGroupRelative(returns, group.size(), true, 1e-6);
                        case GROUP -> Advantages.perTurnGroupRelative(returns, group.size(), false, 0);
                        case LEAVE_ONE_OUT -> Advantages.perTurnLeaveOneOut(returns, group.size());
                        case BATCH_MEAN -> returns; // centred below, over the whole batch
                    };
            keptAdvantages.addAll(List.of(adv));
        }
        if (config.advantage() == GrpoConfig.AdvantageMode.BATCH_MEAN) {
            Advantages.perTurnBatchMean(keptAdvantages);
        }
        TokenColumns all = TokenColumns.of(kept, keptAdvantages.toArray(new double[0][]));
        int maxTurns = kept.stream().mapToInt(r -> r.trajectory().size()).max().orElse(1);
        double[] klSum = new double[maxTurns];
        double[] klCount = new double[maxTurns];
        try (NDManager update = Scopes.step(policy.manager(), steps())) {
            // 4. pi_old: one pass without gradient over the first epoch's micro-batches; the policy's
            //    entropy; the mismatch with the sampler's log-probs and its importance weights
            float[][] oldRows = new float[all.size()][];
            float[][] isRows = new float[all.size()][];
            SamplerMismatch mismatch = new SamplerMismatch();
            double entropySum = 0;
            for (int[] mb : microBatches(all.size())) {
                TokenColumns cols = all.rows(mb[0], mb[1]);
                try (NDManager pass = Scopes.named(update, "old-logprobs")) {
                    TokenScores o = policy.score(pass, cols.batch(), config.scoring(ScoreOptions.WITH_ENTROPY));
                    float[] old = o.logProbs().toFloatArray();
                    entropySum += dot(o.entropy().toFloatArray(), cols.mask());
                    mismatch.add(old, cols.samplerLogProbs(), cols.mask());
                    float[] is = config.rolloutIsCap() > 0
                            ? PolicyLosses.truncatedImportanceWeights(
                                    old, cols.samplerLogProbs(), cols.mask(), config.rolloutIsCap())
                            : null;
                    if (is != null) {
                        mismatch.addWeights(old, cols.samplerLogProbs(), cols.mask(), config.rolloutIsCap());
                    }
                    for (int i = 0; i < cols.size(); i++) {
                        oldRows[mb[0] + i] = cols.row(old, i);
                        isRows[mb[0] + i] = is == null ? null : cols.row(is, i);
                    }
                }
            }
            mismatch.put(stats, config.rolloutIsCap());
            stats.put(MetricNames.ENTROPY, entropySum / Math.max(1, all.generatedTokens()));
            // 5. epochs x mini-batches: gradients accumulate over a mini-batch's micro-batches, then
            //    one optimizer step
            SurrogateStats surrogateStats = SurrogateStats.NONE;
            double lossSum = 0;
            double gradNormSum = 0;
            int stepsTaken = 0;
            boolean anySkipped = false;
            for (int epoch = 0; epoch < config.passes().epochs(); epoch++) {
                for (int m = 0; m < config.passes().miniBatches(); m++) {
                    int from = (int) ((long) m * all.size() / config.passes().miniBatches());
                    int to =
                            (int) ((long) (m + 1) * all.size() / config.passes().miniBatches());
                    if (from == to) {
                        optimizer.idleStep(); // more mini-batches than rows
                        continue;
                    }
                    TokenColumns mini = all.rows(from, to);
                    double miniLoss = 0;
                    int index = 0;
                    for (int[] mb : microBatches(to - from)) {
                        TokenColumns cols = mini.rows(mb[0], mb[1]);
                        double weight = config.aggregation() == Aggregation.TOKEN_MEAN
                                ? cols.generatedTokens() / Math.max(1, mini.generatedTokens())
                                : (double) cols.size() / mini.size();
                        try (NDManager scope = Scopes.microBatch(update, index++)) {
                            MicroResult r = microBatch(
                                    scope,
                                    cols,
                                    cols.gather(oldRows, from + mb[0]),
                                    config.rolloutIsCap() == 0 ? null : cols.gather(isRows, from + mb[0]),
                                    weight,
                                    klSum,
                                    klCount);
                            miniLoss += r.loss() * weight;
                            surrogateStats = surrogateStats.plus(r.stats());
                        }
                    }
                    PolicyOptimizer.Step step = optimizer.step(policy.parameters());
                    if (step.applied()) {
                        policy.parametersUpdated();
                    } else {
                        anySkipped = true;
                    }
                    lossSum += miniLoss;
                    gradNormSum += step.gradNorm();
                    stepsTaken++;
                }
            }
            // 6. statistics
            stats.put(MetricNames.LOSS, lossSum / Math.max(1, stepsTaken));
            stats.put(MetricNames.GRAD_NORM, gradNormSum / Math.max(1, stepsTaken));
            stats.put(MetricNames.STEP_SKIPPED, anySkipped ? 1.0 : 0.0);
            stats.put(MetricNames.CLIP_FRACTION, surrogateStats.clipFraction());
            stats.put(MetricNames.APPROX_KL, surrogateStats.approxKl());
        }
        double klAll = 0;
        double klN = 0;
        for (int t = 0; t < maxTurns; t++) {
            if (klCount[t] > 0) {
                stats.put(MetricNames.perTurn(MetricNames.KL_TURN, t), klSum[t] / klCount[t]);
                klAll += klSum[t];
                klN += klCount[t];
            }
        }
        if (Double.isNaN(measuredKl) && klN > 0) {
            measuredKl = klAll / klN;
        }
        // 7. adaptive KL coefficient
        if (config.kl().target() > 0 && !Double.isNaN(measuredKl)) {
            double error = Math.max(-0.2, Math.min(0.2, measuredKl / config.kl().target() - 1));
            klScale *= 1 + error * kept.size() / config.kl().horizon();
        }
        if (config.kl().enabled()) {
            stats.put("kl/coef_scale", klScale);
        }
        putOptimizerCounters(stats);
        stats.put(MetricNames.RESPONSE_LENGTH, all.generatedTokens() / kept.size());
        double seconds = (System.nanoTime() - started) / 1e9;
        stats.put(
                MetricNames.LEARNER_TOKENS_PER_S,
                kept.stream().mapToInt(r -> r.tokens().length).sum() / seconds);
        return stats;
    }

    /** The loss of one micro-batch (times its weight in the mini-batch) and its backward pass. */
    private MicroResult microBatch(
            NDManager scope,
            TokenColumns mb,
            float[] oldLogp,
            float[] isWeights,
            double weight,
            double[] klSum,
            double[] klCount) {
        Shape shape = new Shape(mb.size(), mb.columns());
        NDArray mask = scope.create(mb.mask(), shape);
        NDArray old = scope.create(oldLogp, shape);
        boolean exactKl = config.kl().estimator() == KlEstimators.Estimator.EXACT;
        NDArray ref = null;
        if (config.kl().enabled() && !config.kl().inReward()) {
            TokenScores r = reference.score(
                    scope,
                    mb.batch(),
                    config.scoring(exactKl ? ScoreOptions.FULL_DISTRIBUTION : ScoreOptions.LOGPROBS_ONLY));
            ref = exactKl ? r.fullLogProbs() : r.logProbs();
        }
        NDArray advantages = scope.create(mb.advantages(), shape);
        NDArray klCoefficients =
                scope.create(mb.perTurnValues(scaled(config.kl().perTurn())), shape);
        NDArray isArray = isWeights == null ? null : scope.create(isWeights, shape);
        NDArray weightArray = TensorConstants.scoped(scope, (float) weight); // changes every step
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            boolean entropy = config.entropyCoefficient() != 0;
            TokenScores s = policy.score(
                    scope, mb.batch(), config.scoring(new ScoreOptions(entropy, false, exactKl && ref != null)));
            PolicyLosses.Surrogate surrogate =
                    PolicyLosses.clipped(s.logProbs(), old, advantages, config.clip(), constants);
            NDArray perToken = surrogate.loss();
            if (isArray != null) {
                perToken = perToken.mul(isArray);
            }
            NDArray kl = null;
            if (ref != null) {
                kl = exactKl
                        ? KlEstimators.exact(s.fullLogProbs(), ref)
                        : KlEstimators.perToken(s.logProbs(), ref, config.kl().estimator(), constants);
                perToken = perToken.add(kl.mul(klCoefficients));
            }
            if (entropy) {
                perToken = perToken.sub(s.entropy().mul(constants.of((float) config.entropyCoefficient())));
            }
            NDArray loss =
                    PolicyLosses.aggregate(perToken, mask, config.aggregation(), config.lengthNormalizer(), constants);
            policy.backward(collector, loss.mul(weightArray));
            // statistics, copied out before the scope closes
            if (kl != null) {
                float[] k = kl.toFloatArray();
                float[] m = mb.mask();
                for (int i = 0; i < k.length; i++) {
                    if (m[i] > 0) {
                        klSum[mb.turn()[i]] += k[i];
                        klCount[mb.turn()[i]]++;
                    }
                }
            }
            return new MicroResult(loss.getFloat(), surrogate.stats(mb.mask()));
        }
    }

    private record MicroResult(double loss, SurrogateStats stats) {}

    /** [from, to) row ranges of {@code rows} rows in micro-batches of the configured size. */
    private List<int[]> microBatches(int rows) {
        int micro =
                config.passes().microBatchRows() == 0 ? rows : config.passes().microBatchRows();
        List<int[]> out = new ArrayList<>();
        for (int from = 0; from < rows; from += micro) {
            out.add(new int[] {from, Math.min(rows, from + micro)});
        }
        return out;
    }

    /** Per-turn returns of each rollout of a group, from its (possibly KL-penalised) rewards. */
    private double[][] returns(List<Rollout> group) {
        double[][] out = new double[group.size()][];
        for (int j = 0; j < out.length; j++) {
            out[j] = Advantages.discountedReturns(group.get(j).rewards().perTurn(), config.turnDiscount());
        }
        return out;
    }

    private void putOptimizerCounters(Map<String, Double> stats) {
        Map<String, Long> c = optimizer.counters();
        stats.put(MetricNames.SKIPPED_STEPS, (double) c.get("skipped_steps"));
        stats.put(MetricNames.IDLE_STEPS, (double) c.get("idle_steps"));
    }

    @Override
    public Map<String, NDArray> stateTensors() {
        return optimizer.stateTensors();
    }

    @Override
    public Map<String, Long> counters() {
        Map<String, Long> out = new LinkedHashMap<>(optimizer.counters());
        // the adaptive KL multiplier travels as its IEEE bits, so a resume restores it exactly
        out.put("kl_scale_bits", Double.doubleToRawLongBits(klScale));
        return out;
    }

    private double[] scaled(double[] perTurn) {
        double[] out = perTurn.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] *= klScale;
        }
        return out;
    }

    /**
     * Rollouts whose turn rewards are lowered by beta_k * klScale * sum of k1 = log pi - log pi_ref
     * over the turn's generated tokens (no gradient). {@code meanKl[0]} receives the per-token mean.
     */
    private List<Rollout> klPenalised(List<Rollout> rollouts, double[] meanKl, Map<String, Double> stats) {
        double[] beta = config.kl().perTurn();
        List<Rollout> out = new ArrayList<>(rollouts.size());
        int micro = config.passes().microBatchRows() == 0
                ? rollouts.size()
                : config.passes().microBatchRows();
        double sum = 0;
        double count = 0;
        Map<Integer, double[]> perTurnSum = new TreeMap<>();
        try (NDManager scope = Scopes.named(policy.manager(), "kl-in-reward")) {
            for (int from = 0; from < rollouts.size(); from += micro) {
                List<Rollout> mb = rollouts.subList(from, Math.min(rollouts.size(), from + micro));
                double[][] none = new double[mb.size()][];
                for (int i = 0; i < none.length; i++) {
                    none[i] = new double[mb.get(i).trajectory().size()];
                }
                TokenColumns rows = TokenColumns.of(mb, none); // one row per token row of each rollout
                float[] lp = policy.score(scope, rows.batch(), config.scoring(ScoreOptions.LOGPROBS_ONLY))
                        .logProbs()
                        .toFloatArray();
                float[] lq = reference
                        .score(scope, rows.batch(), config.scoring(ScoreOptions.LOGPROBS_ONLY))
                        .logProbs()
                        .toFloatArray();
                int cols = rows.columns();
                int row = 0;
                for (Rollout r : mb) {
                    double[] turnKl = new double[r.rewards().perTurn().length];
                    for (int k = 0; k < r.rows(); k++, row++) {
                        for (int c = row * cols; c < (row + 1) * cols; c++) {
                            int turn = rows.turn()[c];
                            if (turn >= 0 && turn < turnKl.length) {
                                double k1 = lp[c] - lq[c];
                                turnKl[turn] += k1;
                                sum += k1;
                                count++;
                                perTurnSum.computeIfAbsent(turn, t -> new double[2])[0] += k1;
                                perTurnSum.get(turn)[1]++;
                            }
                        }
                    }
                    double[] rewards = r.rewards().perTurn().clone();
                    for (int k = 0; k < rewards.length; k++) {
                        rewards[k] -= beta[Math.min(k, beta.length - 1)] * klScale * turnKl[k];
                    }
                    out.add(r.withRewards(
                            new RewardBreakdown(rewards, r.rewards().components())));
                }
            }
        }
        perTurnSum.forEach((t, v) -> stats.put(MetricNames.perTurn(MetricNames.KL_TURN, t), v[0] / v[1]));
        meanKl[0] = count == 0 ? 0 : sum / count;
        return out;
    }

    @Override
    public void restoreState(Map<String, NDArray> tensors, Map<String, Long> counters) {
        optimizer.restore(tensors, counters, policy.parameters());
        Long bits = counters.get("kl_scale_bits");
        klScale = bits == null ? 1.0 : Double.longBitsToDouble(bits);
    }

    /** Rollouts grouped by their trajectory's group id, in first-seen order. */
    static List<List<Rollout>> groups(List<Rollout> rollouts) {
        Map<String, List<Rollout>> byGroup = new LinkedHashMap<>();
        for (Rollout r : rollouts) {
            byGroup.computeIfAbsent(r.trajectory().groupId(), k -> new ArrayList<>())
                    .add(r);
        }
        return new ArrayList<>(byGroup.values());
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    @Override
    public void close() {
        optimizer.close();
        constants.close();
    }
}
