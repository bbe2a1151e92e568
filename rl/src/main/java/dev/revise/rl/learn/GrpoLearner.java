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
import dev.revise.rl.math.KlEstimators;
import dev.revise.rl.math.PolicyLosses;
import dev.revise.rl.math.PolicyLosses.Aggregation;
import dev.revise.rl.rollout.Rollout;
import dev.revise.rl.train.AdamW;
import dev.revise.rl.train.LearningRateSchedule;
import dev.revise.rl.train.Scopes;
import dev.revise.rl.train.TensorConstants;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GRPO (Shao et al. 2024, DeepSeekMath, arXiv 2402.03300) with the Dr. GRPO (arXiv 2503.20783)
 * and DAPO (arXiv 2503.14476) options, over multi-turn trajectories.
 *
 * <pre>
 *   J(theta) = E[ agg_t ( min(rho_t A_t, clip(rho_t, 1 - eps_low, 1 + eps_high) A_t)
 *                         - beta_turn(t) KL_t(pi_theta || pi_ref) + c_H H_t ) ]
 *   rho_t = pi_theta(y_t | ...) / pi_old(y_t | ...)
 *   A_t   = advantage of the turn that generated token t: per-turn returns G_k = sum_j gamma^(j-k) r_j,
 *           made group-relative among the G samples of the task that reached turn k:
 *           (G_k - mean) / (std + eps) (GRPO), G_k - mean (Dr. GRPO), leave-one-out (RLOO),
 *           or G_k - batch mean (REINFORCE with a baseline)
 * </pre>
 *
 * Options: clip-higher (eps_high > eps_low), dual clip, the three loss aggregations of
 * {@link Aggregation}, per-turn KL coefficients with k1/k2/k3 estimators in the loss, an entropy
 * bonus, and DAPO's filtering of groups whose rewards are all equal. Old log-probs are recomputed
 * with the training forward pass (no gradient) so the first ratio is exactly 1 even when the
 * sampler's numerics differ. Log-probs, KL and entropy are those of softmax(logits / T) for the
 * rollouts' sampling temperature T, as in verl and OpenRLHF. The policy's entropy is always
 * reported; it enters the loss only with a non-zero coefficient.
 */
public final class GrpoLearner implements Learner {

    /** How turn returns become advantages. */
    public enum AdvantageMode {
        GROUP_STD,
        GROUP,
        LEAVE_ONE_OUT,
        BATCH_MEAN
    }

    /** Clipping of the importance ratio; dualClip 0 disables the dual clip. */
    public record Clip(float epsLow, float epsHigh, float dualClip) {
        public static Clip standard() {
            return new Clip(0.2f, 0.2f, 0f);
        }

        /** DAPO's clip-higher. */
        public static Clip higher() {
            return new Clip(0.2f, 0.28f, 0f);
        }
    }

    /**
     * KL to the reference: {@code perTurn[k]} is the coefficient on tokens of turn k (the last
     * value repeats for later turns). All zeros disables it (no reference needed).
     *
     * @param inReward false: the estimator's per-token KL is added to the loss (GRPO); true: each
     *     turn's reward is lowered by beta_k times the k1 KL summed over the turn's tokens before
     *     advantages are computed (RLOO/PPO style), and the loss has no KL term
     * @param target adaptive coefficient (Ziegler et al. 2019): after each update the coefficients
     *     are scaled by 1 + clip(KL / target - 1, -0.2, 0.2) * rows / horizon; 0 keeps them fixed
     * @param horizon the adaptive controller's horizon in rollouts
     */
    public record Kl(KlEstimators.Estimator estimator, double[] perTurn, boolean inReward, double target, int horizon) {
        public Kl {
            if (target < 0 || (target > 0 && horizon < 1)) {
                throw new IllegalArgumentException(
                        "kl target must be >= 0 and, when adaptive, the horizon >= 1; got " + target + ", " + horizon);
            }
            if (inReward && estimator == KlEstimators.Estimator.EXACT) {
                throw new IllegalArgumentException("the exact KL is a loss term; in the reward the KL is k1");
            }
        }

        public Kl(KlEstimators.Estimator estimator, double[] perTurn) {
            this(estimator, perTurn, false, 0, 10_000);
        }

        public static Kl none() {
            return new Kl(KlEstimators.Estimator.K3, new double[] {0});
        }

        boolean enabled() {
            for (double c : perTurn) {
                if (c != 0) {
                    return true;
                }
            }
            return false;
        }
    }

    /** The optimizer and its schedule. */
    public record Optimizer(LearningRateSchedule schedule, AdamW.Config adamw) {}

    /**
     * @param advantage how per-turn returns become advantages
     * @param turnDiscount gamma over turns for the per-turn returns (1: every later reward counts)
     * @param clip ratio clipping
     * @param aggregation how per-token losses are averaged
     * @param lengthNormalizer the constant of {@link Aggregation#SEQUENCE_MEAN_TOKEN_SUM_NORM}
     * @param kl KL to the reference policy
     * @param entropyCoefficient bonus on the policy's entropy (0 disables)
     * @param filterZeroVarianceGroups drop groups whose rewards are all equal (DAPO)
     * @param microBatchRows rows per forward/backward (gradient accumulation); 0 = all at once
     * @param optimizer AdamW and the learning-rate schedule
     * @param temperature the rollouts' sampling temperature: every log-prob (ratio, KL, entropy) is
     *     that of softmax(logits / T), the distribution the tokens were drawn from
     */
    public record Config(
            AdvantageMode advantage,
            double turnDiscount,
            Clip clip,
            Aggregation aggregation,
            float lengthNormalizer,
            Kl kl,
            double entropyCoefficient,
            boolean filterZeroVarianceGroups,
            int microBatchRows,
            Optimizer optimizer,
            double temperature) {
        public Config {
            if (microBatchRows < 0) {
                throw new IllegalArgumentException("grpo.micro_batch_rows must be >= 0, got " + microBatchRows);
            }
            if (!(turnDiscount >= 0 && turnDiscount <= 1)) {
                throw new IllegalArgumentException("grpo.turn_discount must be in [0, 1], got " + turnDiscount);
            }
            ScoreOptions.checkTemperature(temperature, "the learner's sampling temperature");
        }

        ScoreOptions scoring(ScoreOptions what) {
            return what.atTemperature(temperature);
        }
    }

    private final Policy policy;
    private final Policy reference;
    private final Config config;
    private final AdamW adamw;
    private final TensorConstants constants;
    private long skippedSteps;
    /** The adaptive controller's multiplier of every KL coefficient (1 when fixed). */
    private double klScale = 1.0;

    /** @param reference the frozen initial policy, or null when the KL is disabled */
    public GrpoLearner(Policy policy, Policy reference, Config config) {
        if (config.kl().enabled() && reference == null) {
            throw new IllegalArgumentException("a KL coefficient is set but no reference policy was given");
        }
        this.policy = policy;
        this.reference = reference;
        this.config = config;
        this.adamw = new AdamW(policy.manager(), config.optimizer().adamw());
        this.constants = new TensorConstants(policy.manager());
    }

    public AdamW optimizer() {
        return adamw;
    }

    @Override
    public long steps() {
        return adamw.steps() + skippedSteps;
    }

    @Override
    public Map<String, Double> update(List<Rollout> rollouts) {
        long started = System.nanoTime();
        Map<String, Double> stats = new LinkedHashMap<>();
        // 1. advantages from per-turn returns, relative within each task's group (KL in the reward
        //    lowers each turn's reward first)
        rewardStats(rollouts, stats);
        double measuredKl = Double.NaN;
        if (config.kl().inReward() && config.kl().enabled()) {
            double[] klOut = new double[1];
            rollouts = klPenalised(rollouts, klOut, stats);
            measuredKl = klOut[0];
        }
        List<List<Rollout>> groups = groups(rollouts);
        List<Rollout> kept = new ArrayList<>();
        List<double[]> keptAdvantages = new ArrayList<>();
        int zeroVariance = 0;
        for (List<Rollout> group : groups) {
            double[][] returns = new double[group.size()][];
            boolean allEqual = true;
            for (int j = 0; j < group.size(); j++) {
                returns[j] = Advantages.discountedReturns(group.get(j).rewards().perTurn(), config.turnDiscount());
                allEqual &=
                        group.get(j).rewards().total() == group.get(0).rewards().total();
            }
            if (allEqual) {
                zeroVariance++;
                if (config.filterZeroVarianceGroups()) {
                    continue;
                }
            }
            double[][] adv =
                    switch (config.advantage()) {
                        case GROUP_STD -> Advantages.perTurnGroupRelative(returns, group.size(), true, 1e-6);
                        case GROUP -> Advantages.perTurnGroupRelative(returns, group.size(), false, 0);
                        case LEAVE_ONE_OUT -> Advantages.perTurnLeaveOneOut(returns, group.size());
                        case BATCH_MEAN -> returns; // centred below, over the whole batch
                    };
            for (int j = 0; j < group.size(); j++) {
                kept.add(group.get(j));
                keptAdvantages.add(adv[j]);
            }
        }
        stats.put(MetricNames.ZERO_VARIANCE_GROUPS, groups.isEmpty() ? 0 : (double) zeroVariance / groups.size());
        if (config.advantage() == AdvantageMode.BATCH_MEAN) {
            centreOverBatch(keptAdvantages);
        }
        double lr = config.optimizer().schedule().at(steps());
        stats.put(MetricNames.LEARNING_RATE, lr);
        if (kept.isEmpty()) {
            stats.put(MetricNames.SKIPPED_STEPS, (double) ++skippedSteps);
            stats.put(MetricNames.STEP_SKIPPED, 0.0); // nothing to learn is not a numerical failure
            return stats;
        }
        TokenColumns all = TokenColumns.of(kept, keptAdvantages.toArray(new double[0][]));
        double totalTokens = all.generatedTokens();
        int micro = config.microBatchRows() == 0 ? all.size() : config.microBatchRows();
        int maxTurns = kept.stream().mapToInt(r -> r.trajectory().size()).max().orElse(1);
        double[] klSum = new double[maxTurns];
        double[] klCount = new double[maxTurns];
        double lossSum = 0;
        double clipSum = 0;
        double approxKlSum = 0;
        double entropySum = 0;
        try (NDManager step = Scopes.step(policy.manager(), steps())) {
            for (int from = 0, index = 0; from < all.size(); from += micro, index++) {
                TokenColumns mb = all.rows(from, Math.min(all.size(), from + micro));
                double tokens = mb.generatedTokens();
                double weight = config.aggregation() == Aggregation.TOKEN_MEAN
                        ? (totalTokens == 0 ? 0 : tokens / totalTokens)
                        : (double) mb.size() / all.size();
                try (NDManager scope = Scopes.microBatch(step, index)) {
                    Shape shape = new Shape(mb.size(), mb.columns());
                    NDArray mask = scope.create(mb.mask(), shape);
                    // 2. old and reference log-probs, without gradient; the policy's entropy (a
                    //    statistic: its temporaries go with the pass's scope)
                    NDArray old;
                    try (NDManager pass = Scopes.named(scope, "old-logprobs")) {
                        TokenScores o = policy.score(pass, mb.batch(), config.scoring(ScoreOptions.WITH_ENTROPY));
                        old = o.logProbs();
                        old.attach(scope);
                        entropySum += dot(o.entropy().toFloatArray(), mb.mask());
                    }
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
                    NDArray weightArray = TensorConstants.scoped(scope, (float) weight); // changes every step
                    // 3. loss and backward (gradients accumulate across micro-batches)
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        boolean entropy = config.entropyCoefficient() != 0;
                        TokenScores s = policy.score(
                                scope,
                                mb.batch(),
                                config.scoring(new ScoreOptions(entropy, false, exactKl && ref != null)));
                        PolicyLosses.Surrogate surrogate = PolicyLosses.clipped(
                                s.logProbs(),
                                old,
                                advantages,
                                config.clip().epsLow(),
                                config.clip().epsHigh(),
                                config.clip().dualClip(),
                                constants);
                        NDArray perToken = surrogate.loss();
                        NDArray kl = null;
                        if (ref != null) {
                            kl = exactKl
                                    ? KlEstimators.exact(s.fullLogProbs(), ref)
                                    : KlEstimators.perToken(
                                            s.logProbs(), ref, config.kl().estimator(), constants);
                            perToken = perToken.add(kl.mul(klCoefficients));
                        }
                        if (entropy) {
                            perToken = perToken.sub(s.entropy().mul(constants.of((float) config.entropyCoefficient())));
                        }
                        NDArray loss = PolicyLosses.aggregate(
                                perToken, mask, config.aggregation(), config.lengthNormalizer(), constants);
                        collector.backward(loss.mul(weightArray));
                        // 5a. statistics of this micro-batch (copied out before the scope closes)
                        lossSum += loss.getFloat() * weight;
                        float[] m = mb.mask();
                        clipSum += dot(surrogate.clipped().toFloatArray(), m);
                        float[] ratio = surrogate.ratio().toFloatArray();
                        for (int i = 0; i < ratio.length; i++) {
                            if (m[i] > 0) {
                                approxKlSum += (ratio[i] - 1) - Math.log(ratio[i]);
                            }
                        }
                        if (kl != null) {
                            float[] k = kl.toFloatArray();
                            for (int i = 0; i < k.length; i++) {
                                if (m[i] > 0) {
                                    klSum[mb.turn()[i]] += k[i];
                                    klCount[mb.turn()[i]]++;
                                }
                            }
                        }
                    }
                }
            }
            // 4. one optimizer step for the whole batch
            AdamW.StepResult result = adamw.step(policy.parameters(), lr);
            if (result.applied()) {
                policy.parametersUpdated();
            } else {
                skippedSteps++;
            }
            stats.put(MetricNames.GRAD_NORM, result.gradNorm());
            stats.put(MetricNames.STEP_SKIPPED, result.applied() ? 0.0 : 1.0);
        }
        // 5. statistics
        stats.put(MetricNames.LOSS, lossSum);
        stats.put(MetricNames.CLIP_FRACTION, totalTokens == 0 ? 0 : clipSum / totalTokens);
        stats.put(MetricNames.APPROX_KL, totalTokens == 0 ? 0 : approxKlSum / totalTokens);
        stats.put(MetricNames.ENTROPY, entropySum / Math.max(1, totalTokens));
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
        // 6. adaptive KL coefficient
        if (config.kl().target() > 0 && !Double.isNaN(measuredKl)) {
            double error = Math.max(-0.2, Math.min(0.2, measuredKl / config.kl().target() - 1));
            klScale *= 1 + error * kept.size() / config.kl().horizon();
        }
        if (config.kl().enabled()) {
            stats.put("kl/coef_scale", klScale);
        }
        stats.put(MetricNames.SKIPPED_STEPS, (double) skippedSteps);
        stats.put(MetricNames.RESPONSE_LENGTH, totalTokens / kept.size());
        double seconds = (System.nanoTime() - started) / 1e9;
        stats.put(
                MetricNames.LEARNER_TOKENS_PER_S,
                kept.stream().mapToInt(r -> r.tokens().length).sum() / seconds);
        return stats;
    }

    @Override
    public Map<String, NDArray> stateTensors() {
        return adamw.stateTensors();
    }

    @Override
    public Map<String, Long> counters() {
        // the adaptive KL multiplier travels as its IEEE bits, so a resume restores it exactly
        return Map.of(
                "applied_steps",
                adamw.steps(),
                "skipped_steps",
                skippedSteps,
                "kl_scale_bits",
                Double.doubleToRawLongBits(klScale));
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
        int micro = config.microBatchRows() == 0 ? rollouts.size() : config.microBatchRows();
        double sum = 0;
        double count = 0;
        Map<Integer, double[]> perTurnSum = new java.util.TreeMap<>();
        try (NDManager scope = Scopes.named(policy.manager(), "kl-in-reward")) {
            for (int from = 0; from < rollouts.size(); from += micro) {
                List<Rollout> mb = rollouts.subList(from, Math.min(rollouts.size(), from + micro));
                dev.revise.rl.TokenBatch batch = new dev.revise.rl.TokenBatch(
                        mb.stream().map(Rollout::tokens).toArray(int[][]::new));
                float[] lp = policy.score(scope, batch, config.scoring(ScoreOptions.LOGPROBS_ONLY))
                        .logProbs()
                        .toFloatArray();
                float[] lq = reference
                        .score(scope, batch, config.scoring(ScoreOptions.LOGPROBS_ONLY))
                        .logProbs()
                        .toFloatArray();
                int cols = batch.maxLength() - 1;
                for (int i = 0; i < mb.size(); i++) {
                    Rollout r = mb.get(i);
                    double[] turnKl = new double[r.rewards().perTurn().length];
                    for (int j = 1; j < r.tokens().length; j++) {
                        int turn = r.turnOfToken()[j];
                        if (turn >= 0 && turn < turnKl.length) {
                            double k1 = lp[i * cols + j - 1] - lq[i * cols + j - 1];
                            turnKl[turn] += k1;
                            sum += k1;
                            count++;
                            perTurnSum.computeIfAbsent(turn, k -> new double[2])[0] += k1;
                            perTurnSum.get(turn)[1]++;
                        }
                    }
                    double[] rewards = r.rewards().perTurn().clone();
                    for (int k = 0; k < rewards.length; k++) {
                        rewards[k] -= beta[Math.min(k, beta.length - 1)] * klScale * turnKl[k];
                    }
                    out.add(r.withRewards(new dev.revise.rl.RewardBreakdown(
                            rewards, r.rewards().components())));
                }
            }
        }
        perTurnSum.forEach((t, v) -> stats.put(MetricNames.perTurn(MetricNames.KL_TURN, t), v[0] / v[1]));
        meanKl[0] = count == 0 ? 0 : sum / count;
        return out;
    }

    @Override
    public void restoreState(Map<String, NDArray> tensors, Map<String, Long> counters) {
        long applied = LearnerState.counter(counters, "applied_steps");
        if (applied > 0) {
            adamw.loadState(tensors, applied, policy.parameters());
        }
        skippedSteps = LearnerState.counter(counters, "skipped_steps");
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

    private static void centreOverBatch(List<double[]> returns) {
        int turns = returns.stream().mapToInt(a -> a.length).max().orElse(0);
        for (int k = 0; k < turns; k++) {
            double sum = 0;
            int n = 0;
            for (double[] r : returns) {
                if (k < r.length) {
                    sum += r[k];
                    n++;
                }
            }
            for (double[] r : returns) {
                if (k < r.length) {
                    r[k] -= sum / n;
                }
            }
        }
    }

    static void rewardStats(List<Rollout> rollouts, Map<String, Double> stats) {
        int turns = rollouts.stream().mapToInt(r -> r.trajectory().size()).max().orElse(0);
        double total = 0;
        for (Rollout r : rollouts) {
            total += r.rewards().total();
        }
        stats.put(MetricNames.REWARD_MEAN, total / Math.max(1, rollouts.size()));
        for (int t = 0; t < turns; t++) {
            double sum = 0;
            int n = 0;
            for (Rollout r : rollouts) {
                if (t < r.rewards().perTurn().length) {
                    sum += r.rewards().perTurn()[t];
                    n++;
                }
            }
            stats.put(MetricNames.perTurn(MetricNames.REWARD_TURN, t), sum / n);
        }
        Map<String, double[]> componentSums = new LinkedHashMap<>();
        for (Rollout r : rollouts) {
            r.rewards().components().forEach((name, v) -> {
                double[] acc = componentSums.computeIfAbsent(name, k -> new double[1]);
                for (double x : v) {
                    acc[0] += x;
                }
            });
        }
        componentSums.forEach((name, acc) -> stats.put(MetricNames.REWARD_COMPONENT + name, acc[0] / rollouts.size()));
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
        adamw.close();
        constants.close();
    }
}
