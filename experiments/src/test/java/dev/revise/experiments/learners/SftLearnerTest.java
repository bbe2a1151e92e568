package dev.revise.experiments.learners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.revise.envs.synthetic.SyntheticArithmetic;
import dev.revise.policies.LlamaPolicy;
import dev.revise.rl.Task;
import dev.revise.rl.learn.MetricNames;
import dev.revise.rl.learn.SftExample;
import dev.revise.rl.learn.SftLearner;
import dev.revise.rl.train.AdamW;
import dev.revise.rl.train.LearningRateSchedule;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SftLearnerTest {
    static List<SftExample> synthetic(LlamaPolicy p, int n, long seed) {
        SyntheticArithmetic gen = new SyntheticArithmetic(1, 1, "+-", 10, 10);
        List<SftExample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            SyntheticArithmetic.Problem prob = gen.problem(seed, i);
            Task t = prob.toTask();
            int[] prompt = p.tokenizer().encode(t.prompt());
            int[] target = p.tokenizer().encode(prob.solution());
            int[] all = new int[prompt.length + target.length];
            System.arraycopy(prompt, 0, all, 0, prompt.length);
            System.arraycopy(target, 0, all, prompt.length, target.length);
            out.add(SftExample.completion(all, prompt.length, 1.0));
        }
        return out;
    }

    static SftLearner.Config config(int micro) {
        return new SftLearner.Config(
                micro,
                new dev.revise.rl.learn.PolicyOptimizer.Config(
                        LearningRateSchedule.constant(3e-3), AdamW.Config.defaults()));
    }

    @Test
    void lossFallsOnAFixedBatch() {
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy p = GrpoLearnerTest.policy(root, 1);
                SftLearner sft = new SftLearner(p, config(0))) {
            List<SftExample> batch = synthetic(p, 16, 1);
            double first = sft.update(batch).get(MetricNames.LOSS);
            double last = first;
            for (int i = 0; i < 60; i++) {
                last = sft.update(batch).get(MetricNames.LOSS);
            }
            assertTrue(first > 2.5, "initial NLL " + first);
            assertTrue(last < first / 3, "NLL after 60 steps: " + last + " (from " + first + ")");
        }
    }

    @Test
    void zeroWeightExamplesChangeNothingAndMicroBatchingIsExact() {
        byte[][] after = new byte[3][];
        for (int mode = 0; mode < 3; mode++) {
            try (NDManager root = NDManager.newBaseManager();
                    LlamaPolicy p = GrpoLearnerTest.policy(root, 2);
                    SftLearner sft = new SftLearner(p, config(mode == 1 ? 1 : 0))) {
                List<SftExample> batch = new ArrayList<>(synthetic(p, 4, 3));
                if (mode == 2) {
                    SftExample extra = synthetic(p, 1, 99).get(0);
                    batch.add(new SftExample(extra.tokens(), extra.target(), 0.0));
                }
                sft.update(batch);
                after[mode] = p.snapshot();
            }
        }
        assertArrayEquals(after[0], after[2], "a zero-weight example changed the update");
        java.nio.FloatBuffer a = java.nio.ByteBuffer.wrap(after[0])
                .order(java.nio.ByteOrder.nativeOrder())
                .asFloatBuffer();
        java.nio.FloatBuffer b = java.nio.ByteBuffer.wrap(after[1])
                .order(java.nio.ByteOrder.nativeOrder())
                .asFloatBuffer();
        for (int i = 0; i < a.limit(); i++) {
            assertEquals(a.get(i), b.get(i), 1e-5, "parameter element " + i + " with micro-batches of 1");
        }
    }

    @Test
    void badExamplesAreRefused() {
        assertThrows(
                IllegalArgumentException.class, () -> new SftExample(new int[] {1, 2}, new boolean[] {true, true}, 1));
        assertThrows(
                IllegalArgumentException.class,
                () -> new SftExample(new int[] {1, 2}, new boolean[] {false, true}, Double.NaN));
    }
}
