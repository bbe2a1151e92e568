package dev.revise.policies;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.policies.model.LlamaConfig;
import dev.revise.policies.model.LlamaModel;
import dev.revise.policies.tokenizer.CharTokenizer;
import dev.revise.policies.tokenizer.ChatFormat;
import dev.revise.rl.Completion;
import dev.revise.rl.FinishReason;
import dev.revise.rl.Prompt;
import dev.revise.rl.SamplingParams;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Llama 3 Instruct-style checkpoint ({@code eos_token_id: [<|end_of_text|>, <|eom_id|>,
 * <|eot_id|>]}) stops at {@code <|eot_id|>}; the first revise kept only the first id of the list,
 * so such a model never stopped before the token budget.
 */
class StopTokensTest {
    @TempDir
    Path dir;

    @Test
    void everyEosIdOfConfigAndGenerationConfigAndTheTemplatesEndOfTurnStop() throws Exception {
        CharTokenizer tok = CharTokenizer.of("abcdefgh", List.of("<|end_of_text|>", "<|eom_id|>", "<|eot_id|>"));
        int endOfText = tok.tokenId("<|end_of_text|>").getAsInt();
        int eom = tok.tokenId("<|eom_id|>").getAsInt();
        int eot = tok.tokenId("<|eot_id|>").getAsInt();
        LlamaConfig config = LlamaConfig.of(16, 16, 1, 2, 1, 24, false, 5e5)
                .withSpecialTokens(1, endOfText)
                .withEosTokenIds(List.of(endOfText, eom, eot))
                .withMaxPositions(64);
        try (NDManager root = NDManager.newBaseManager()) {
            try (LlamaPolicy p = new LlamaPolicy(
                    LlamaModel.random(config, root, ai.djl.Device.cpu(), 1), tok, null, ChatFormat.PLAIN)) {
                p.save(dir);
            }
            ObjectMapper json = new ObjectMapper();
            Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [" + endOfText + ", 2]}");
            Files.writeString(
                    dir.resolve("tokenizer_config.json"),
                    json.writeValueAsString(Map.of(
                            "chat_template",
                            "{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
                                    + "{{ m['content'] }}<|eot_id|>{% endfor %}",
                            "eos_token",
                            "<|end_of_text|>")));
            try (LlamaPolicy policy = LlamaPolicy.load(dir, root, DeviceSpec.cpu())) {
                assertEquals(Set.of(endOfText, eom, eot, 2), policy.stopTokenIds());
                alwaysPick(policy, eot);
                Completion c = policy.generator()
                        .generate(
                                List.of(new Prompt(tok.encode("abc"), 1)),
                                SamplingParams.greedy(20).withStopTokenIds(policy.stopTokenIds()))
                        .get(0);
                assertArrayEquals(new int[] {eot}, c.tokenIds());
                assertEquals(FinishReason.STOP_TOKEN, c.finishReason());
            }
        }
    }

    /** Makes every position's hidden state the same vector e and the LM head's row {@code id} equal to e. */
    private static void alwaysPick(LlamaPolicy policy, int id) {
        ByteBuffer b = ByteBuffer.wrap(policy.snapshot()).order(ByteOrder.nativeOrder());
        int at = 0;
        int d = policy.config().hiddenSize();
        for (Map.Entry<String, ai.djl.ndarray.NDArray> e : policy.parameters().entrySet()) {
            int n = (int) e.getValue().size();
            String name = e.getKey();
            for (int i = 0; i < n; i++) {
                float v = 0f;
                if (name.endsWith("norm.weight")) {
                    v = 1f;
                } else if (name.equals("model.embed_tokens.weight")) {
                    v = (i % d) % 2 == 0 ? 1f : -1f;
                } else if (name.equals("lm_head.weight") && i / d == id) {
                    v = (i % d) % 2 == 0 ? 5f : -5f;
                }
                b.putFloat(at + i * 4, v);
            }
            at += n * 4;
        }
        policy.restore(b.array(), 1);
    }
}
