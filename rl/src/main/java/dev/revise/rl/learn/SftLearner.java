package dev.revise.rl.learn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.revise.rl.Policy;
import dev.revise.rl.ScoreOptions;
import dev.revise.rl.TokenBatch;
import dev.revise.rl.TokenScores;
import dev.revise.rl.train.Scopes;
import dev.revise.rl.train.TensorConstants;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Supervised fine-tuning: masked negative log-likelihood of the target tokens, with optional
 * per-example weights (RISE's reward-weighted regression uses w = exp(r / tau)).
 *
 * <pre>
 *   L(theta) = - sum_i w_i sum_{t in targets(i)} log pi_theta(x_t | x_&lt;t) / sum_i w_i |targets(i)|
 * </pre>
 *
 * The normaliser is the weighted number of target tokens of the whole batch, so the result does
 * not depend on how the batch is split into micro-batches.
 */
public final class SftLearner implements LearnerState, AutoCloseable {

    /**
     * @param microBatchRows rows per forward/backward; 0 = the whole batch at once
     * @param optimizer AdamW and the run's learning-rate schedule (one step per update)
     */
    public record Config(int microBatchRows, PolicyOptimizer.Config optimizer) {
        public Config {
            if (microBatchRows < 0) {
                throw new IllegalArgumentException("train.micro_batch_rows must be >= 0, got " + microBatchRows);
            }
        }
    }

    private final Policy policy;
    private final Config config;
    private final PolicyOptimizer optimizer;
    private final TensorConstants constants;

    public SftLearner(Policy policy, Config config) {
        this.policy = policy;
        this.config = config;
        this.optimizer = new PolicyOptimizer(policy.manager(), config.optimizer());
        this.constants = new TensorConstants(policy.manager());
    }

    public PolicyOptimizer optimizer() {
        return optimizer;
    }

    public long steps() {
        return optimizer.steps();
    }

    /** One optimizer step on {@code examples}; returns the loss and optimizer metrics. */
    public Map<String, Double> update(List<SftExample> examples) {
        // 1. the batch's weighted target count (the normaliser)
        double normaliser = 0;
        for (SftExample e : examples) {
            for (boolean t : e.target()) {
                normaliser += t ? e.weight() : 0;
            }
        }
        Map<String, Double> stats = new LinkedHashMap<>();
        stats.put(MetricNames.LEARNING_RATE, optimizer.learningRate());
        if (normaliser == 0) {
            optimizer.idleStep(); // no targets is not a numerical failure
            stats.put(MetricNames.SKIPPED_STEPS, (double) optimizer.skippedSteps());
            stats.put(MetricNames.STEP_SKIPPED, 0.0);
            return stats;
        }
        int micro = config.microBatchRows() == 0 ? examples.size() : config.microBatchRows();
        double loss = 0;
        try (NDManager step = Scopes.step(policy.manager(), optimizer.steps())) {
            for (int from = 0, index = 0; from < examples.size(); from += micro, index++) {
                List<SftExample> mb = examples.subList(from, Math.min(examples.size(), from + micro));
                try (NDManager scope = Scopes.microBatch(step, index)) {
                    // 2. per-column weights: w_i / normaliser on target tokens, 0 elsewhere
                    int[][] rows = new int[mb.size()][];
                    int longest = 0;
                    for (int i = 0; i < rows.length; i++) {
                        rows[i] = mb.get(i).tokens();
                        longest = Math.max(longest, rows[i].length);
                    }
                    int cols = longest - 1;
                    float[] weights = new float[rows.length * cols];
                    for (int i = 0; i < rows.length; i++) {
                        SftExample e = mb.get(i);
                        for (int pos = 1; pos < e.tokens().length; pos++) {
                            if (e.target()[pos]) {
                                weights[i * cols + pos - 1] = (float) (e.weight() / normaliser);
                            }
                        }
                    }
                    NDArray w = scope.create(weights, new Shape(rows.length, cols));
                    // 3. loss and backward
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        TokenScores s = policy.score(scope, new TokenBatch(rows), ScoreOptions.LOGPROBS_ONLY);
                        NDArray l = s.logProbs().mul(w).sum().neg();
                        policy.backward(collector, l);
                        loss += l.getFloat();
                    }
                }
            }
            // 4. step
            PolicyOptimizer.Step r = optimizer.step(policy.parameters());
            if (r.applied()) {
                policy.parametersUpdated();
            }
            stats.put(MetricNames.GRAD_NORM, r.gradNorm());
            stats.put(MetricNames.SKIPPED_STEPS, (double) optimizer.skippedSteps());
            stats.put(MetricNames.STEP_SKIPPED, r.applied() ? 0.0 : 1.0);
        }
        // 5. stats
        stats.put(MetricNames.LOSS, loss);
        return stats;
    }

    @Override
    public Map<String, NDArray> stateTensors() {
        return optimizer.stateTensors();
    }

    @Override
    public Map<String, Long> counters() {
        return optimizer.counters();
    }

    @Override
    public void restoreState(Map<String, NDArray> tensors, Map<String, Long> counters) {
        optimizer.restore(tensors, counters, policy.parameters());
    }

    @Override
    public void close() {
        optimizer.close();
        constants.close();
    }
}
