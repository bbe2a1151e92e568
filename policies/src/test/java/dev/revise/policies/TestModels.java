package dev.revise.policies;

import ai.djl.ndarray.NDManager;
import dev.revise.policies.model.LlamaConfig;
import dev.revise.policies.model.LlamaModel;
import dev.revise.policies.tokenizer.CharTokenizer;
import dev.revise.policies.tokenizer.ChatFormat;
import java.util.List;

/** Small random models for tests. */
public final class TestModels {
    private TestModels() {}

    /** Grouped-query attention (4 heads, 2 KV heads), Qwen2-style Q/K/V bias, untied head. */
    public static LlamaConfig gqa(int vocab) {
        return new LlamaConfig("qwen2", vocab, 32, 48, 2, 4, 2, 8, 1e-5, 1e4, false, true, 256, 1, 2);
    }

    public static CharTokenizer digits() {
        return CharTokenizer.of("0123456789+-=;:QA|", List.of());
    }

    public static LlamaPolicy policy(NDManager root, LlamaConfig config, long seed) {
        CharTokenizer tok = digits();
        return new LlamaPolicy(
                LlamaModel.random(config, root, ai.djl.Device.cpu(), seed), tok, null, ChatFormat.CHATML);
    }

    /** A LoRA adapter with B drawn too (PEFT starts B at zero, which would test nothing). */
    public static dev.revise.policies.lora.LoraAdapter nonzeroAdapter(
            NDManager root, LlamaConfig c, dev.revise.policies.lora.LoraConfig lora, long seed) {
        dev.revise.policies.lora.LoraAdapter a = dev.revise.policies.lora.LoraAdapter.create(
                c, lora, root, ai.djl.Device.cpu(), ai.djl.ndarray.types.DataType.FLOAT32, seed);
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed + 1);
        boolean grad = ai.djl.pytorch.jni.JniUtils.isGradMode();
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        try {
            for (java.util.Map.Entry<String, ai.djl.ndarray.NDArray> e :
                    a.parameters().entrySet()) {
                if (e.getKey().endsWith("lora_B.weight")) {
                    float[] v = new float[(int) e.getValue().size()];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) (rng.nextDouble() - 0.5) * 0.5f;
                    }
                    try (ai.djl.ndarray.NDArray src =
                            root.create(v, e.getValue().getShape())) {
                        e.getValue().set(new ai.djl.ndarray.index.NDIndex("..."), src);
                    }
                }
            }
        } finally {
            ai.djl.pytorch.jni.JniUtils.setGradMode(grad);
        }
        return a;
    }

    /**
     * Scales every matrix of {@code policy} by {@code factor} (norm weights stay 1, biases become
     * nonzero), so log-probs are far from uniform and a feature switched off moves them visibly.
     */
    public static void spiky(LlamaPolicy policy, float factor, long seed) {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.wrap(policy.snapshot()).order(java.nio.ByteOrder.nativeOrder());
        int at = 0;
        for (java.util.Map.Entry<String, ai.djl.ndarray.NDArray> e :
                policy.parameters().entrySet()) {
            long n = e.getValue().size();
            String name = e.getKey();
            boolean norm = name.endsWith("norm.weight");
            for (long i = 0; i < n; i++) {
                int off = at + (int) i * 4;
                float v = bytes.getFloat(off);
                if (name.endsWith(".bias")) {
                    v = (float) (rng.nextDouble() - 0.5);
                } else if (norm) {
                    v = (float) (0.8 + 0.4 * rng.nextDouble());
                } else {
                    v *= factor;
                }
                bytes.putFloat(off, v);
            }
            at += (int) n * 4;
        }
        policy.restore(bytes.array(), policy.version() + 1);
    }
}
