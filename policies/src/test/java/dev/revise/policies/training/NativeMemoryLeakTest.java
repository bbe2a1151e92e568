package dev.revise.policies.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.TestModels;
import dev.revise.policies.model.LlamaConfig;
import dev.revise.rl.Prompt;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.ScoreOptions;
import dev.revise.rl.TokenBatch;
import dev.revise.rl.TokenScores;
import dev.revise.rl.train.AdamW;
import dev.revise.rl.train.MemoryProbe;
import dev.revise.rl.train.Scopes;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * 200 steps of sampling + scoring + backward + AdamW leave the number of live NDArrays unchanged
 * and native memory flat: the C allocator's bytes in use grow by less than 5 MB per 100 steps
 * after warm-up (robust slope), and RSS by less than 20.
 */
class NativeMemoryLeakTest {
    static final LlamaConfig CONFIG =
            new LlamaConfig("llama", 24, 128, 256, 2, 4, 2, 32, 1e-5, 1e4, false, false, 256, 1, 2);

    @Test
    void trainingStepsDoNotLeak() {
        SplittableRandom rng = new SplittableRandom(5);
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = TestModels.policy(root, CONFIG, 1);
                AdamW adam = new AdamW(policy.manager(), AdamW.Config.defaults())) {
            int warmup = 100; // JIT compilation, heap sizing and allocator arenas settle first
            int arraysAfterWarmup = -1;
            List<double[]> rss = new ArrayList<>();
            List<double[]> inUse = new ArrayList<>();
            for (int step = 0; step < warmup + 200; step++) {
                List<Prompt> prompts =
                        List.of(new Prompt(new int[] {1, 4, 5}, step), new Prompt(new int[] {1, 7}, step + 1000L));
                policy.generator().generate(prompts, SamplingParams.sample(8));
                int[][] rows = TrainingTest.copyBatch(rng, 8, 30);
                try (NDManager scope = Scopes.step(policy.manager(), step)) {
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        TokenScores s = policy.score(scope, new TokenBatch(rows), ScoreOptions.WITH_ENTROPY);
                        gc.backward(s.logProbs()
                                .mul(s.mask())
                                .sum()
                                .neg()
                                .add(s.entropy().mean()));
                    }
                    adam.step(policy.parameters(), 1e-4);
                    policy.parametersUpdated();
                }
                if (step == warmup) {
                    arraysAfterWarmup = root.getManagedArrays().size();
                }
                if (step >= warmup && step % 10 == 0) {
                    // Collect first: Java heap growth and direct buffers awaiting GC are not native
                    // leaks, and without a GC the heap's lazy expansion dominates RSS.
                    MemoryProbe.settle();
                    rss.add(new double[] {step, MemoryProbe.residentMegabytes()});
                    inUse.add(new double[] {step, MemoryProbe.mallocInUseMegabytes()});
                }
            }
            assertEquals(arraysAfterWarmup, root.getManagedArrays().size(), "live NDArrays grew over 200 steps");
            double inUsePer100 = MemoryProbe.theilSenSlope(inUse) * 100;
            double rssPer100 = MemoryProbe.theilSenSlope(rss) * 100;
            // The 5 MB bound is checked on the allocator's in-use bytes: RSS also moves with what
            // glibc and the JIT keep after use (a few MB per 100 steps seen here, not a leak), so
            // RSS only gets a coarse bound that still catches a leak outside malloc.
            if (!Double.isNaN(inUsePer100)) {
                assertTrue(inUsePer100 < 5.0, "native memory in use grows by " + inUsePer100 + " MB per 100 steps");
            }
            assertTrue(rssPer100 < 20.0, "RSS grows by " + rssPer100 + " MB per 100 steps");
        }
    }
}
