package dev.revise.policies.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.TestModels;
import dev.revise.rl.Completion;
import dev.revise.rl.Prompt;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.ScoreOptions;
import dev.revise.rl.TokenBatch;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each family option computes the same in both paths that run it: batched KV-cache sampling
 * (ragged prompts, left padding) and the full-sequence scoring the learner uses. Parity with
 * transformers itself is the interop suite's (tools/interop).
 */
class FamilyFeaturesTest {
    static LlamaConfig base() {
        return LlamaConfig.of(24, 32, 2, 4, 2, 48, false, 1e4)
                .withSpecialTokens(1, 2)
                .withMaxPositions(64);
    }

    static Stream<LlamaConfig> families() {
        return Stream.of(
                base().withFamily("qwen3", false, false, false, true, 0).withHeadDim(12),
                base().withFamily("qwen3", true, true, false, true, 0),
                base().withFamily("mistral", false, false, false, false, 4),
                base().withFamily("llama", true, true, true, false, 0),
                base().withRope(5e5, RopeScaling.llama3(8, 1, 4, 8)),
                base().withRope(1e4, RopeScaling.yarn(4, 8)),
                base().withRope(1e4, RopeScaling.linear(2)),
                base().withRope(1e4, RopeScaling.dynamic(2)),
                base().withFamily("qwen2", true, false, false, false, 0).withHeadDim(10));
    }

    @ParameterizedTest
    @MethodSource("families")
    void sampledLogProbsEqualScoredOnes(LlamaConfig config) {
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = TestModels.policy(root, config, 5);
                NDManager scope = root.newSubManager()) {
            TestModels.spiky(policy, 25f, 9);
            int[] a = {1, 5, 6, 7, 9, 4, 3};
            int[] b = {1, 9};
            List<Completion> out =
                    policy.generator().generate(List.of(new Prompt(a, 3), new Prompt(b, 4)), SamplingParams.sample(12));
            for (int row = 0; row < 2; row++) {
                int[] prompt = row == 0 ? a : b;
                Completion c = out.get(row);
                int[] seq = new int[prompt.length + c.length()];
                System.arraycopy(prompt, 0, seq, 0, prompt.length);
                System.arraycopy(c.tokenIds(), 0, seq, prompt.length, c.length());
                float[] scored = policy.score(scope, new TokenBatch(new int[][] {seq}), ScoreOptions.LOGPROBS_ONLY)
                        .logProbs()
                        .toFloatArray();
                for (int i = 0; i < c.length(); i++) {
                    assertEquals(c.logProbs()[i], scored[prompt.length - 1 + i], 1e-4, "row " + row + " token " + i);
                }
            }
        }
    }

    @Test
    void slidingWindowForgetsWhatLiesBeyondItsReach() {
        LlamaConfig windowed = base().withFamily("mistral", false, false, false, false, 4);
        int[] seq = {1, 5, 6, 7, 9, 4, 3, 8, 8, 10, 11, 12, 6, 5};
        int[] changed = seq.clone();
        changed[1] = 20;
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = TestModels.policy(root, windowed, 5);
                LlamaPolicy full =
                        TestModels.policy(root, base().withFamily("mistral", false, false, false, false, 0), 5);
                NDManager scope = root.newSubManager()) {
            TestModels.spiky(policy, 25f, 9);
            TestModels.spiky(full, 25f, 9);
            float[] x = scores(policy, scope, seq);
            float[] y = scores(policy, scope, changed);
            // 2 layers of a 4-key window reach back 2 * 3 positions: position 1 is out of reach from 8 on
            for (int i = 8; i < x.length; i++) {
                assertEquals(x[i], y[i], 1e-6, "position " + (i + 1) + " saw a token beyond its window");
            }
            assertThat(Math.abs(x[2] - y[2])).isGreaterThan(1e-3f);
            float[] z = scores(full, scope, seq);
            float moved = 0;
            for (int i = 0; i < x.length; i++) {
                moved = Math.max(moved, Math.abs(x[i] - z[i]));
            }
            assertThat(moved).as("the window changes the model").isGreaterThan(1e-2f);
            assertEquals(x[1], z[1], 1e-6, "within the window the two agree");
        }
    }

    private static float[] scores(LlamaPolicy p, NDManager scope, int[] seq) {
        return p.score(scope, new TokenBatch(new int[][] {seq}), ScoreOptions.LOGPROBS_ONLY)
                .logProbs()
                .toFloatArray();
    }

    @Test
    void dynamicRopeRunsPastMaxPositionsAndOtherVariantsRefuseTo() {
        int[] seq = new int[40];
        for (int i = 0; i < seq.length; i++) {
            seq[i] = 1 + (i * 7) % 20;
        }
        LlamaConfig dynamic = base().withRope(1e4, RopeScaling.dynamic(2)).withMaxPositions(16);
        LlamaConfig plain = base().withMaxPositions(16);
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy d = TestModels.policy(root, dynamic, 5);
                LlamaPolicy p = TestModels.policy(root, plain, 5);
                NDManager scope = root.newSubManager()) {
            TestModels.spiky(d, 25f, 9);
            TestModels.spiky(p, 25f, 9);
            float[] within = scores(d, scope, Arrays.copyOf(seq, 16));
            float[] beyond = scores(d, scope, seq);
            float[] plainWithin = scores(p, scope, Arrays.copyOf(seq, 16));
            assertThat(beyond).hasSize(39);
            for (int i = 0; i < within.length; i++) {
                // up to max_position_embeddings dynamic NTK is plain RoPE; past it the base grows for the whole
                // sequence
                assertEquals(plainWithin[i], within[i], 1e-5);
            }
            assertThat(Math.abs(beyond[5] - within[5])).isGreaterThan(1e-4f);
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> scores(p, scope, seq));
        }
    }

    @Test
    void optionsAddTheirParametersUnderTransformersNames() {
        LlamaConfig c = base().withFamily("qwen3", true, true, false, true, 0);
        assertThat(LlamaModel.parameterShapes(c).keySet())
                .contains("model.layers.0.self_attn.q_norm.weight", "model.layers.1.self_attn.o_proj.bias");
        long counted = LlamaModel.parameterShapes(c).values().stream()
                .mapToLong(s -> Arrays.stream(s).reduce(1, (x, y) -> x * y))
                .sum();
        assertEquals(c.parameterCount(), counted);
        LlamaConfig llama = base().withFamily("llama", false, false, true, false, 0);
        assertThat(LlamaModel.parameterShapes(llama).keySet()).contains("model.layers.0.mlp.down_proj.bias");
        assertEquals(
                llama.parameterCount(),
                LlamaModel.parameterShapes(llama).values().stream()
                        .mapToLong(s -> Arrays.stream(s).reduce(1, (x, y) -> x * y))
                        .sum());
    }
}
