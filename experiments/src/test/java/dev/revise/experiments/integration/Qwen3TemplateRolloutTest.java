package dev.revise.experiments.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.revise.envs.EnvironmentConfig;
import dev.revise.envs.SelfCorrectionEnvironment;
import dev.revise.envs.synthetic.SyntheticVerifier;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.model.LlamaConfig;
import dev.revise.policies.model.LlamaModel;
import dev.revise.policies.tokenizer.HfChatTemplate;
import dev.revise.policies.tokenizer.Tokenizers;
import dev.revise.rl.Completion;
import dev.revise.rl.Generator;
import dev.revise.rl.Message;
import dev.revise.rl.Prompt;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.Task;
import dev.revise.rl.TextTokenizer;
import dev.revise.rl.rollout.Rollout;
import dev.revise.rl.rollout.RolloutRequest;
import dev.revise.rl.rollout.RolloutWorker;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A two-turn SCoRe episode with the real Qwen3 tokenizer and chat template (enable_thinking
 * false): the tokens trained on are exactly the tokens sampled, and each turn's context is the
 * previous context, its sampled tokens and the template's rendering of only the new messages.
 * Qwen3's template drops the (empty) think block of earlier turns on a full re-render, so before
 * revise built contexts by appending, its append-only check refused every such episode.
 */
class Qwen3TemplateRolloutTest {
    static final Path QWEN3 = Path.of("../policies/src/test/resources/tokenizers/qwen3");

    @TempDir
    Path dir;

    /** Records every prompt it is given and every completion it returns. */
    static final class Recording implements Generator {
        final Generator inner;
        final List<Prompt> prompts = new ArrayList<>();
        final List<Completion> completions = new ArrayList<>();

        Recording(Generator inner) {
            this.inner = inner;
        }

        @Override
        public List<Completion> generate(List<Prompt> batch, SamplingParams params) {
            List<Completion> out = inner.generate(batch, params);
            prompts.addAll(batch);
            completions.addAll(out);
            return out;
        }
    }

    @Test
    void theTokensTrainedOnAreTheTokensSampled() throws Exception {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(QWEN3.resolve("tokenizer.json.gz")))) {
            Files.copy(in, dir.resolve("tokenizer.json"));
        }
        Files.copy(QWEN3.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        TextTokenizer tok = Tokenizers.load(dir.resolve("tokenizer.json"));
        HfChatTemplate template = HfChatTemplate.load(dir).orElseThrow().withArgs(Map.of("enable_thinking", false));
        LlamaConfig config = LlamaConfig.of(151936, 16, 1, 2, 1, 16, true, 1e6)
                .withFamily("qwen3", false, false, false, true, 0)
                .withHeadDim(8)
                .withEosTokenIds(List.of(tok.tokenId("<|im_end|>").getAsInt()))
                .withMaxPositions(512);
        EnvironmentConfig env = EnvironmentConfig.score("{prompt}", 8);
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = new LlamaPolicy(
                        LlamaModel.random(config, root, Device.cpu(), 3),
                        tok,
                        dir.resolve("tokenizer.json"),
                        template)) {
            Recording gen = new Recording(policy.generator());
            RolloutWorker worker = new RolloutWorker(
                    new SelfCorrectionEnvironment(env, new SyntheticVerifier()),
                    gen,
                    policy,
                    t -> new dev.revise.rl.RewardBreakdown(new double[t.size()], Map.of()),
                    16);
            Task task = new Task("t1", "What is 12 + 30? Answer with A then the number.", "42");
            SamplingParams sampling = SamplingParams.sample(8).withStopTokenIds(policy.stopTokenIds());
            List<Rollout> rollouts = worker.run(new RolloutRequest(List.of(task), 2, 5, 0, sampling), 0);
            assertEquals(2, rollouts.size());
            assertEquals(4, gen.prompts.size()); // two samples x two turns
            String firstPrompt = template.render(List.of(Message.user(task.prompt())));
            assertThat(firstPrompt).endsWith("<|im_start|>assistant\n<think>\n\n</think>\n\n");
            for (int g = 0; g < 2; g++) {
                Rollout r = rollouts.get(g);
                Completion c1 = gen.completions.get(g);
                Completion c2 = gen.completions.get(2 + g);
                int[] p1 = gen.prompts.get(g).tokenIds();
                int[] p2 = gen.prompts.get(2 + g).tokenIds();
                assertArrayEquals(tok.encode(firstPrompt), p1);
                // turn 2's context is turn 1's context, its sampled tokens, then the template's new text only
                assertArrayEquals(Arrays.copyOf(p1, p1.length), Arrays.copyOf(p2, p1.length));
                assertArrayEquals(c1.tokenIds(), Arrays.copyOfRange(p2, p1.length, p1.length + c1.length()));
                String added = tok.decode(Arrays.copyOfRange(p2, p1.length + c1.length(), p2.length), false);
                String close = c1.tokenIds()[c1.length() - 1]
                                == tok.tokenId("<|im_end|>").getAsInt()
                        ? ""
                        : "<|im_end|>";
                assertEquals(
                        close + "\n<|im_start|>user\n" + env.instruction()
                                + "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
                        added);
                // what is trained: the sampled tokens exactly, with their sampling log-probs
                int[] all = new int[p2.length + c2.length()];
                System.arraycopy(p2, 0, all, 0, p2.length);
                System.arraycopy(c2.tokenIds(), 0, all, p2.length, c2.length());
                assertArrayEquals(all, r.tokens());
                for (int i = 0; i < r.tokens().length; i++) {
                    int turn = i >= p1.length && i < p1.length + c1.length() ? 0 : i >= p2.length ? 1 : -1;
                    assertEquals(turn, r.turnOfToken()[i], "token " + i);
                    float expected =
                            turn == 0 ? c1.logProbs()[i - p1.length] : turn == 1 ? c2.logProbs()[i - p2.length] : 0f;
                    assertEquals(expected, r.sampleLogProbs()[i], 0f, "log-prob of token " + i);
                }
                // a full re-render drops turn 1's empty think block: counted, not trained on
                assertEquals(1, r.rerenderMismatches());
            }
        }
    }
}
