package dev.revise.policies;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.revise.policies.lora.LoraConfig;
import dev.revise.policies.model.LlamaConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The estimator's arithmetic: golden parts for smollm2-135m, and the orderings users plan with. */
class MemoryEstimateTest {
    static final LlamaConfig SMOLLM2 = ModelShapes.named("smollm2-135m");

    @Test
    void fullFineTuningHoldsSixteenBytesPerParameterBeforeActivations() {
        Map<String, Long> m = new MemoryEstimate(SMOLLM2, null, false, false, 4, 8, 513).learner();
        long p = SMOLLM2.parameterCount();
        assertEquals(134_515_008L, p);
        assertEquals(4 * p, m.get("weights"));
        assertEquals(4 * p, m.get("gradients"));
        assertEquals(8 * p, m.get("adamw_state"));
        // fused Q/K/V and gate/up copies: 30 x ((576 + 2 x 192) x 576 + 2 x 1536 x 576) floats
        assertEquals(4L * 30 * ((576 + 2 * 192) * 576 + 2 * 1536 * 576), m.get("fused_weights"));
        assertEquals(0L, m.get("reference"));
        assertEquals(
                m.entrySet().stream()
                        .filter(e -> !e.getKey().equals("total"))
                        .mapToLong(Map.Entry::getValue)
                        .sum(),
                m.get("total"));
    }

    @Test
    void loraTrainsOnlyItsMatricesAndNeedsNoReferenceCopy() {
        LoraConfig r16 = new LoraConfig(16, 32, 0, LoraConfig.ALL_TARGETS);
        MemoryEstimate lora = new MemoryEstimate(SMOLLM2, r16, false, true, 2, 8, 513);
        // per layer: r x (in + out) for q (576+576), k, v (576+192 each), o (576+576), gate, up (576+1536), down
        // (1536+576)
        long perLayer = 16L * ((576 + 576) + 2 * (576 + 192) + (576 + 576) + 3 * (576 + 1536));
        assertEquals(30 * perLayer, lora.loraParameters());
        Map<String, Long> m = lora.learner();
        assertEquals(4 * 30 * perLayer, m.get("gradients"));
        assertEquals(0L, m.get("reference"));
        Map<String, Long> full = new MemoryEstimate(SMOLLM2, null, false, true, 2, 8, 513).learner();
        assertThat(full.get("reference")).isGreaterThan(2 * SMOLLM2.parameterCount());
        // all but activations: LoRA's unmerged updates cost activations of their own (see activations())
        assertThat(m.get("total") - m.get("activations")).isLessThan((full.get("total") - full.get("activations")) / 3);
    }

    @Test
    void checkpointingKeepsOneBlockOfActivations() {
        long full = new MemoryEstimate(SMOLLM2, null, false, false, 4, 8, 513).activations();
        long ckpt = new MemoryEstimate(SMOLLM2, null, true, false, 4, 8, 513).activations();
        assertThat(ckpt * 3).isLessThan(full);
        // twice the tokens, twice the activations at least
        long longer = new MemoryEstimate(SMOLLM2, null, false, false, 4, 16, 513).activations();
        assertEquals(2 * full, longer);
    }

    @Test
    void theActorsKvCacheGrowsWithBatchAndContext() {
        MemoryEstimate m = new MemoryEstimate(SMOLLM2, null, false, false, 2, 1, 1);
        assertEquals(2L * 30 * 192 * 64 * 1024 * 2, m.actor(64, 1024).get("kv_cache"));
        assertEquals(2 * SMOLLM2.parameterCount(), m.actor(64, 1024).get("weights"));
    }
}
