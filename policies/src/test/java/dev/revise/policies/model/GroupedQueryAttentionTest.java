package dev.revise.policies.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.TestModels;
import dev.revise.policies.tokenizer.ChatFormat;
import dev.revise.rl.ScoreOptions;
import dev.revise.rl.TokenBatch;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Grouped-query attention equals multi-head attention with each key/value head repeated for its
 * group of query heads (Hugging Face's repeat_kv: query head h reads key/value head h / G).
 */
class GroupedQueryAttentionTest {
    @Test
    void groupedEqualsExpandedForm() {
        LlamaConfig grouped = TestModels.gqa(40);
        LlamaConfig expanded = new LlamaConfig("qwen2", 40, 32, 48, 2, 4, 4, 8, 1e-5, 1e4, false, true, 256, 1, 2);
        int g = grouped.groupSize();
        int dh = grouped.headDim();
        int[][] rows = {{1, 4, 8, 15, 16, 23, 42 % 40, 7, 3}, {1, 9, 9, 2, 30}};
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy a = TestModels.policy(root, grouped, 5);
                LlamaPolicy b = new LlamaPolicy(
                        LlamaModel.random(expanded, root, ai.djl.Device.cpu(), 99),
                        TestModels.digits(),
                        null,
                        ChatFormat.CHATML);
                NDManager scope = root.newSubManager()) {
            Map<String, NDArray> src = a.parameters();
            for (Map.Entry<String, NDArray> e : b.parameters().entrySet()) {
                String name = e.getKey();
                NDArray from = src.get(name);
                NDArray value;
                if (name.contains("k_proj") || name.contains("v_proj")) {
                    // expand KV head j to heads j*G .. j*G+G-1
                    long rest =
                            from.getShape().dimension() == 2 ? from.getShape().get(1) : 1;
                    NDArray heads = from.reshape(grouped.numKeyValueHeads(), 1, dh, rest);
                    value = heads.repeat(1, g).reshape(e.getValue().getShape());
                } else {
                    value = from;
                }
                e.getValue().set(new NDIndex("..."), value);
            }
            b.parametersUpdated();
            float[] la = a.score(scope, new TokenBatch(rows), ScoreOptions.LOGPROBS_ONLY)
                    .logProbs()
                    .toFloatArray();
            float[] lb = b.score(scope, new TokenBatch(rows), ScoreOptions.LOGPROBS_ONLY)
                    .logProbs()
                    .toFloatArray();
            for (int i = 0; i < la.length; i++) {
                assertEquals(la[i], lb[i], 1e-5, "log-prob " + i);
            }
        }
    }
}
