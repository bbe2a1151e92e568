package dev.revise.experiments.learners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.revise.policies.LlamaPolicy;
import dev.revise.rl.learn.GrpoLearner;
import dev.revise.rl.learn.Learner;
import dev.revise.rl.learn.PpoLearner;
import dev.revise.rl.rollout.Rollout;
import dev.revise.rl.train.LearningRateSchedule;
import dev.revise.rl.train.MemoryProbe;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * 200 RL updates keep the number of live NDArrays constant and native memory flat: native
 * libraries' allocator bytes in use grow by under 5 MB per 100 updates and RSS by under 20, in
 * both of two consecutive 100-update windows (a leak grows in both; the JIT's arenas, which come
 * and go by tens of MB, in at most one). See NativeMemoryLeakTest.
 */
class LearnerMemoryTest {
    @Test
    void hundredGrpoUpdatesDoNotLeak() {
        // at a sampling temperature other than 1, so the scaled-logits path is covered too
        check((p, ref) -> new GrpoLearner(p, ref, GrpoLearnerTest.config(3, 0.05, 0.01, 0.7)));
    }

    @Test
    void hundredPpoUpdatesDoNotLeak() {
        check((p, ref) -> new PpoLearner(
                p,
                ref,
                GrpoLearnerTest.CONFIG.hiddenSize(),
                PpoLearner.Config.defaults(LearningRateSchedule.constant(1e-4))));
    }

    private static void check(BiFunction<LlamaPolicy, LlamaPolicy, Learner> factory) {
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy p = GrpoLearnerTest.policy(root, 1);
                LlamaPolicy ref = GrpoLearnerTest.policy(root, 2);
                Learner learner = factory.apply(p, ref)) {
            // Same shapes every step: with growing lengths the allocator's high-water mark would
            // rise (a peak, not a leak) and hide what this test looks for.
            List<Rollout> batch = GrpoLearnerTest.rollouts(2, 4, 1);
            int warmup = 60; // past JIT compilation and the allocator settling after the previous tests
            for (int step = 0; step < warmup; step++) {
                learner.update(batch);
            }
            int arrays = root.getManagedArrays().size();
            MemoryProbe.Growth first = MemoryProbe.measure(warmup, 100, 5, step -> learner.update(batch));
            MemoryProbe.Growth second = MemoryProbe.measure(warmup + 100, 100, 5, step -> learner.update(batch));
            assertEquals(arrays, root.getManagedArrays().size(), "live NDArrays grew over 200 updates");
            MemoryProbe.Growth growth = first.persistentWith(second);
            if (!Double.isNaN(growth.nativePer100())) {
                assertTrue(
                        growth.nativePer100() < 5.0,
                        "native memory in use grows by " + growth.nativePer100() + " MB per 100 updates (" + first
                                + ", then " + second + ")");
            }
            assertTrue(
                    growth.rssPer100() < 20.0,
                    "RSS grows by " + growth.rssPer100() + " MB per 100 updates (" + first + ", then " + second + ")");
        }
    }
}
