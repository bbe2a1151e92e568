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
}
