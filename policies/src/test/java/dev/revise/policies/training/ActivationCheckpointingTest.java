package dev.revise.policies.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.TestModels;
import dev.revise.policies.lora.LoraConfig;
import dev.revise.policies.model.LlamaConfig;
import dev.revise.rl.ScoreOptions;
import dev.revise.rl.TokenBatch;
import dev.revise.rl.TokenScores;
import dev.revise.rl.train.Scopes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Activation checkpointing changes memory, not math: the same log-probs bit for bit and the same
 * gradients (<= 1e-6 relative) as full back-propagation, for the loss shapes the algorithms use.
 */
class ActivationCheckpointingTest {
    /** Grouped-query attention, Q/K/V bias and Qwen3's q/k norms, three blocks. */
    static final LlamaConfig QWEN3 = new LlamaConfig(
                    "llama", 24, 32, 48, 3, 4, 2, 8, 1e-5, 1e4, false, false, 256, 1, 2)
            .withFamily("qwen3", true, false, false, true, 0);

    /**
     * The losses: {@code pg} a weighted sum of token log-probs over two micro-batches (GRPO, RLOO,
     * REINFORCE, SFT), {@code ppo} log-probs, entropy and a value read from the hidden states,
     * {@code lora} the policy-gradient loss through a LoRA adapter with dropout.
     */
    @ParameterizedTest
    @ValueSource(strings = {"pg", "ppo", "lora"})
    void gradientsEqualFullBackPropagation(String loss) {
        Map<String, float[]> full = gradients(loss, false);
        Map<String, float[]> checkpointed = gradients(loss, true);
        assertEquals(full.keySet(), checkpointed.keySet());
        for (String n : full.keySet()) {
            float[] a = full.get(n);
            float[] b = checkpointed.get(n);
            double norm = 0;
            double diff = 0;
            for (int i = 0; i < a.length; i++) {
                norm += (double) a[i] * a[i];
                diff += (double) (a[i] - b[i]) * (a[i] - b[i]);
            }
            assertTrue(norm > 0, "no gradient for " + n);
            assertTrue(Math.sqrt(diff / norm) <= 1e-6, n + ": relative difference " + Math.sqrt(diff / norm));
        }
    }

    private static Map<String, float[]> gradients(String loss, boolean checkpointing) {
        int[][] rows = TrainingTest.copyBatch(new SplittableRandom(4), 6, 4);
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDManager root = NDManager.newBaseManager()) {
            LlamaPolicy policy = TestModels.policy(root, QWEN3, 3);
            TestModels.spiky(policy, 8f, 5);
            if (loss.equals("lora")) {
                policy = policy.withAdapter(
                        TestModels.nonzeroAdapter(root, QWEN3, new LoraConfig(4, 8, 0.2, LoraConfig.ALL_TARGETS), 9));
            }
            policy.model().setActivationCheckpointing(checkpointing);
            try (NDManager step = Scopes.step(policy.manager(), 0);
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                for (int half = 0; half < 2; half++) {
                    try (NDManager micro = Scopes.microBatch(step, half)) {
                        int[][] part = java.util.Arrays.copyOfRange(rows, half * 3, half * 3 + 3);
                        boolean ppo = loss.equals("ppo");
                        TokenScores s = policy.score(
                                micro,
                                new TokenBatch(part),
                                ppo ? new ScoreOptions(true, true) : ScoreOptions.LOGPROBS_ONLY);
                        NDArray l = s.logProbs().mul(s.mask()).sum().neg();
                        if (ppo) {
                            NDArray value = s.hidden()
                                    .sum(new int[] {-1})
                                    .mul(s.hidden().sum(new int[] {-1}));
                            l = l.add(s.entropy().mul(s.mask()).sum().mul(0.01f))
                                    .add(value.mean().mul(0.5f));
                        }
                        policy.backward(gc, l);
                    }
                }
                policy.parameters().forEach((n, p) -> {
                    try (NDArray g = p.getGradient()) {
                        out.put(n, g.toFloatArray());
                    }
                });
            }
            policy.close();
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void logProbsAreBitIdentical(boolean lora) {
        int[][] rows = TrainingTest.copyBatch(new SplittableRandom(2), 4, 5);
        float[][] lp = new float[2][];
        for (int mode = 0; mode < 2; mode++) {
            try (NDManager root = NDManager.newBaseManager()) {
                LlamaPolicy policy = TestModels.policy(root, QWEN3, 3);
                if (lora) {
                    policy = policy.withAdapter(TestModels.nonzeroAdapter(
                            root, QWEN3, new LoraConfig(4, 8, 0, List.of("q_proj", "down_proj")), 1));
                }
                policy.model().setActivationCheckpointing(mode == 1);
                try (NDManager scope = policy.manager().newSubManager();
                        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    TokenScores s = policy.score(scope, new TokenBatch(rows), ScoreOptions.LOGPROBS_ONLY);
                    lp[mode] = s.logProbs().toFloatArray();
                    policy.backward(gc, s.logProbs().sum());
                }
                policy.close();
            }
        }
        assertArrayEquals(lp[0], lp[1], 0f);
    }
}
