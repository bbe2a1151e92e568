package dev.revise.policies.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.TestModels;
import dev.revise.rl.Completion;
import dev.revise.rl.FinishReason;
import dev.revise.rl.Prompt;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.ScoreOptions;
import dev.revise.rl.TokenBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.commons.math3.stat.inference.ChiSquareTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LlamaGeneratorTest {
    static NDManager root;
    static LlamaPolicy policy;

    @BeforeAll
    static void model() {
        root = NDManager.newBaseManager();
        policy = TestModels.policy(root, TestModels.gqa(24), 17);
    }

    @AfterAll
    static void close() {
        policy.close();
        root.close();
    }

    @Test
    void sameSeedSameSamplesWhateverTheBatch() {
        int[] a = {1, 5, 6, 7};
        int[] b = {1, 9, 9, 9, 9, 9, 9, 3};
        int[] c = {1, 2};
        SamplingParams params = SamplingParams.sample(12);
        Completion alone =
                policy.generator().generate(List.of(new Prompt(a, 42)), params).get(0);
        List<Completion> mixed =
                policy.generator().generate(List.of(new Prompt(b, 7), new Prompt(a, 42), new Prompt(c, 8)), params);
        assertArrayEquals(alone.tokenIds(), mixed.get(1).tokenIds(), "ragged batch changed a row's samples");
        assertArrayEquals(alone.logProbs(), mixed.get(1).logProbs(), 1e-4f);
        Completion again =
                policy.generator().generate(List.of(new Prompt(a, 42)), params).get(0);
        assertArrayEquals(alone.tokenIds(), again.tokenIds());
        Completion other =
                policy.generator().generate(List.of(new Prompt(a, 43)), params).get(0);
        assertTrue(
                !java.util.Arrays.equals(alone.tokenIds(), other.tokenIds()), "another seed gave the same 12 tokens");
    }

    @Test
    void aStepListenerSeesEveryStepAndChangesNoSample() {
        List<Prompt> prompts = List.of(new Prompt(new int[] {1, 5, 6, 7}, 3), new Prompt(new int[] {1, 2}, 4));
        SamplingParams params = SamplingParams.sample(9);
        List<Completion> plain = policy.generator().generate(prompts, params);
        List<long[]> steps = new ArrayList<>();
        List<Completion> watched = policy.generator()
                .generate(prompts, params, (n, tokens, open) -> steps.add(new long[] {n, tokens, open}));
        for (int i = 0; i < prompts.size(); i++) {
            assertArrayEquals(plain.get(i).tokenIds(), watched.get(i).tokenIds());
            assertArrayEquals(plain.get(i).logProbs(), watched.get(i).logProbs());
        }
        int longest = Math.max(plain.get(0).length(), plain.get(1).length());
        assertEquals(longest, steps.size());
        for (int i = 0; i < steps.size(); i++) {
            assertEquals(i + 1, steps.get(i)[0]);
        }
        long[] last = steps.get(steps.size() - 1);
        assertEquals(plain.get(0).length() + plain.get(1).length(), last[1]);
        assertEquals(0, last[2], "every row has stopped after the last step");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(doubles = {1.0, 0.6, 1.7})
    void sampledLogProbsEqualScoredLogProbsAtTheSamplingTemperature(double temperature) {
        int[] prompt = {1, 5, 6, 7, 3};
        Completion c = policy.generator()
                .generate(
                        List.of(new Prompt(prompt, 5)),
                        SamplingParams.sample(10).withTemperature(temperature))
                .get(0);
        int[] full = new int[prompt.length + c.length()];
        System.arraycopy(prompt, 0, full, 0, prompt.length);
        System.arraycopy(c.tokenIds(), 0, full, prompt.length, c.length());
        try (NDManager scope = root.newSubManager()) {
            TokenBatch batch = new TokenBatch(new int[][] {full});
            float[] scored = policy.score(scope, batch, ScoreOptions.LOGPROBS_ONLY.atTemperature(temperature))
                    .logProbs()
                    .toFloatArray();
            for (int i = 0; i < c.length(); i++) {
                assertEquals(scored[prompt.length - 1 + i], c.logProbs()[i], 1e-4, "token " + i);
            }
            if (temperature != 1.0) {
                float[] atOne = policy.score(scope, batch, ScoreOptions.LOGPROBS_ONLY)
                        .logProbs()
                        .toFloatArray();
                double apart = 0;
                for (int i = 0; i < c.length(); i++) {
                    apart = Math.max(apart, Math.abs(atOne[prompt.length - 1 + i] - c.logProbs()[i]));
                }
                assertTrue(apart > 1e-2, "scoring at T = 1 should not match samples drawn at T = " + temperature);
            }
        }
    }

    @Test
    void scoringAtATemperatureIsTheLogSoftmaxOfScaledLogits() {
        int[] row = {1, 5, 6, 7, 3, 9, 2};
        double t = 0.7;
        int vocab = policy.config().vocabSize();
        try (NDManager scope = root.newSubManager()) {
            TokenBatch batch = new TokenBatch(new int[][] {row});
            // log-probs at T = 1 are the logits up to a per-position constant, which 1/T scales away
            float[] full = policy.score(scope, batch, ScoreOptions.FULL_DISTRIBUTION)
                    .fullLogProbs()
                    .toFloatArray();
            ai.djl.ndarray.NDArray hot = policy.score(
                            scope, batch, new ScoreOptions(true, false, true).atTemperature(t))
                    .fullLogProbs();
            float[] scaled = hot.toFloatArray();
            for (int pos = 0; pos < row.length - 1; pos++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int v = 0; v < vocab; v++) {
                    max = Math.max(max, full[pos * vocab + v] / t);
                }
                double sum = 0;
                for (int v = 0; v < vocab; v++) {
                    sum += Math.exp(full[pos * vocab + v] / t - max);
                }
                for (int v = 0; v < vocab; v++) {
                    double expected = full[pos * vocab + v] / t - max - Math.log(sum);
                    assertEquals(expected, scaled[pos * vocab + v], 1e-4, "position " + pos + ", token " + v);
                }
            }
        }
    }

    @Test
    void firstTokenFrequenciesMatchTheModelsSoftmax() {
        int[] prompt = {1, 4, 4, 2};
        int vocab = policy.config().vocabSize();
        long[] counts = new long[vocab];
        int perCall = 500;
        for (int call = 0; call < 8; call++) {
            List<Prompt> prompts = new ArrayList<>();
            for (int i = 0; i < perCall; i++) {
                prompts.add(new Prompt(prompt, call * 100_000L + i));
            }
            for (Completion c : policy.generator().generate(prompts, SamplingParams.sample(1))) {
                counts[c.tokenIds()[0]]++;
            }
        }
        double[] expected = new double[vocab];
        try (NDManager scope = root.newSubManager()) {
            float[] logits = policy.model()
                    .logits(policy.model()
                            .forward(
                                    scope,
                                    scope.create(new long[] {1, 4, 4, 2}, new ai.djl.ndarray.types.Shape(1, 4)),
                                    scope.create(new long[] {0, 1, 2, 3}, new ai.djl.ndarray.types.Shape(1, 4)),
                                    policy.model().causalBias(scope, 4),
                                    null,
                                    0,
                                    false)
                            .get(":, -1, :"))
                    .softmax(-1)
                    .toFloatArray();
            for (int i = 0; i < vocab; i++) {
                expected[i] = logits[i];
            }
        }
        double p = new ChiSquareTest().chiSquareTest(expected, counts);
        assertTrue(p > 1e-3, "chi-square p = " + p);
    }

    @Test
    void stopTokensStopStringsAndGreedy() {
        int[] prompt = {1, 5, 6};
        Completion greedy = policy.generator()
                .generate(List.of(new Prompt(prompt, 1)), SamplingParams.greedy(8))
                .get(0);
        Completion greedy2 = policy.generator()
                .generate(List.of(new Prompt(prompt, 999)), SamplingParams.greedy(8))
                .get(0);
        assertArrayEquals(greedy.tokenIds(), greedy2.tokenIds(), "greedy decoding depends on the seed");
        assertEquals(FinishReason.LENGTH, greedy.finishReason());
        int stop = greedy.tokenIds()[2];
        Completion stopped = policy.generator()
                .generate(
                        List.of(new Prompt(prompt, 1)), SamplingParams.greedy(8).withStopTokenIds(Set.of(stop)))
                .get(0);
        int firstStop = 0;
        while (greedy.tokenIds()[firstStop] != stop) {
            firstStop++;
        }
        assertEquals(firstStop + 1, stopped.length());
        assertEquals(FinishReason.STOP_TOKEN, stopped.finishReason());
        String text = policy.tokenizer().decode(greedy.tokenIds(), true);
        if (text.length() >= 3) {
            String needle = text.substring(1, 3);
            Completion cut = policy.generator()
                    .generate(
                            List.of(new Prompt(prompt, 1)),
                            SamplingParams.greedy(8).withStopStrings(List.of(needle)))
                    .get(0);
            assertEquals(FinishReason.STOP_STRING, cut.finishReason());
            assertEquals(text.substring(0, text.indexOf(needle)), cut.text());
        }
    }
}
