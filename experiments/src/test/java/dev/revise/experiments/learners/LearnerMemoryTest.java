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
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * 100 RL updates keep the number of live NDArrays constant and native memory flat (allocator
 * bytes in use under 5 MB per 100 updates, RSS under 20: see NativeMemoryLeakTest).
 */
class LearnerMemoryTest {
    @Test
    void hundredGrpoUpdatesDoNotLeak() {
        check((p, ref) -> new GrpoLearner(p, ref, GrpoLearnerTest.config(3, 0.05, 0.01)));
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
            int arrays = -1;
            List<double[]> rss = new ArrayList<>();
            List<double[]> inUse = new ArrayList<>();
            for (int step = 0; step < warmup + 100; step++) {
                learner.update(batch);
                if (step == warmup) {
                    arrays = root.getManagedArrays().size();
                }
                if (step >= warmup && step % 5 == 0) {
                    MemoryProbe.settle();
                    rss.add(new double[] {step, MemoryProbe.residentMegabytes()});
                    inUse.add(new double[] {step, MemoryProbe.mallocInUseMegabytes()});
                }
            }
            assertEquals(arrays, root.getManagedArrays().size(), "live NDArrays grew over 100 updates");
            double inUsePer100 = MemoryProbe.theilSenSlope(inUse) * 100;
            double rssPer100 = MemoryProbe.theilSenSlope(rss) * 100;
            if (!Double.isNaN(inUsePer100)) {
                assertTrue(inUsePer100 < 5.0, "native memory in use grows by " + inUsePer100 + " MB per 100 updates");
            }
            assertTrue(rssPer100 < 20.0, "RSS grows by " + rssPer100 + " MB per 100 updates");
        }
    }
}
