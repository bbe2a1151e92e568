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
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * 200 steps of sampling + scoring + backward + AdamW leave the number of live NDArrays unchanged
 * and native memory flat: native libraries' bytes in use (the C allocator's, less the JVM's own
 * per Native Memory Tracking) grow by less than 5 MB per 100 steps after warm-up (robust slope),
 * and RSS by less than 20, in both of two consecutive 100-step windows.
 */
class NativeMemoryLeakTest {
    static final LlamaConfig CONFIG =
            new LlamaConfig("llama", 24, 128, 256, 2, 4, 2, 32, 1e-5, 1e4, false, false, 256, 1, 2);

    /** {@code full}; with activation checkpointing; and a LoRA adapter (with dropout) over a checkpointed base. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"full", "checkpointed", "lora-checkpointed"})
    void trainingStepsDoNotLeak(String mode) {
        SplittableRandom rng = new SplittableRandom(5);
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = policy(root, mode);
                AdamW adam = new AdamW(policy.manager(), AdamW.Config.defaults())) {
            int warmup = 100; // JIT compilation, heap sizing and allocator arenas settle first
            IntConsumer step = i -> {
                List<Prompt> prompts =
                        List.of(new Prompt(new int[] {1, 4, 5}, i), new Prompt(new int[] {1, 7}, i + 1000L));
                policy.generator().generate(prompts, SamplingParams.sample(8));
                int[][] rows = TrainingTest.copyBatch(rng, 8, 30);
                try (NDManager scope = Scopes.step(policy.manager(), i)) {
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        TokenScores s = policy.score(scope, new TokenBatch(rows), ScoreOptions.WITH_ENTROPY);
                        policy.backward(
                                gc,
                                s.logProbs()
                                        .mul(s.mask())
                                        .sum()
                                        .neg()
                                        .add(s.entropy().mean()));
                    }
                    adam.step(policy.parameters(), 1e-4);
                    policy.parametersUpdated();
                }
            };
            for (int i = 0; i < warmup; i++) {
                step.accept(i);
            }
            int arraysAfterWarmup = root.getManagedArrays().size();
            MemoryProbe.Growth first = MemoryProbe.measure(warmup, 100, 10, step);
            MemoryProbe.Growth second = MemoryProbe.measure(warmup + 100, 100, 10, step);
            assertEquals(arraysAfterWarmup, root.getManagedArrays().size(), "live NDArrays grew over 200 steps");
            MemoryProbe.Growth growth = first.persistentWith(second);
            String windows = " (" + first + ", then " + second + ")";
            // The 5 MB bound is checked on native libraries' in-use bytes (the JVM's own mallocs
            // excluded): RSS also moves with what glibc keeps after use, so it only gets a coarse
            // bound that still catches a leak outside malloc.
            if (!Double.isNaN(growth.nativePer100())) {
                assertTrue(
                        growth.nativePer100() < 5.0,
                        "native memory in use grows by " + growth.nativePer100() + " MB per 100 steps" + windows);
            }
            assertTrue(growth.rssPer100() < 20.0, "RSS grows by " + growth.rssPer100() + " MB per 100 steps" + windows);
        }
    }

    private static LlamaPolicy policy(NDManager root, String mode) {
        LlamaPolicy p = TestModels.policy(root, CONFIG, 1);
        if (mode.startsWith("lora")) {
            p = p.withAdapter(dev.revise.policies.lora.LoraAdapter.create(
                    CONFIG,
                    new dev.revise.policies.lora.LoraConfig(
                            8, 16, 0.1, dev.revise.policies.lora.LoraConfig.ALL_TARGETS),
                    root,
                    ai.djl.Device.cpu(),
                    ai.djl.ndarray.types.DataType.FLOAT32,
                    2));
        }
        p.model().setActivationCheckpointing(mode.contains("checkpointed"));
        return p;
    }
}
