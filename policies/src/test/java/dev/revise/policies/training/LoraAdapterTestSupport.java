package dev.revise.policies.training;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.revise.policies.lora.LoraAdapter;
import dev.revise.policies.lora.LoraConfig;
import dev.revise.policies.model.LlamaConfig;
import java.util.Map;

/** Adapters with B drawn too (PEFT starts B at zero, where gradients of A vanish). */
final class LoraAdapterTestSupport {
    private LoraAdapterTestSupport() {}

    static LoraAdapter nonzero(NDManager root, LlamaConfig c, LoraConfig lora, long seed) {
        LoraAdapter a = LoraAdapter.create(c, lora, root, Device.cpu(), DataType.FLOAT32, seed);
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed + 1);
        boolean grad = ai.djl.pytorch.jni.JniUtils.isGradMode();
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        try {
            for (Map.Entry<String, NDArray> e : a.parameters().entrySet()) {
                if (e.getKey().endsWith("lora_B.weight")) {
                    float[] v = new float[(int) e.getValue().size()];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) (rng.nextDouble() - 0.5) * 0.5f;
                    }
                    try (NDArray src = root.create(v, e.getValue().getShape())) {
                        e.getValue().set(new ai.djl.ndarray.index.NDIndex("..."), src);
                    }
                }
            }
        } finally {
            ai.djl.pytorch.jni.JniUtils.setGradMode(grad);
        }
        return a;
    }
}
