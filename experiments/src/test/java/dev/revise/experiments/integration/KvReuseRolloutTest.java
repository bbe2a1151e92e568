package dev.revise.experiments.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.revise.envs.EnvironmentConfig;
import dev.revise.envs.FeedbackMode;
import dev.revise.envs.SelfCorrectionEnvironment;
import dev.revise.envs.synthetic.SyntheticArithmetic;
import dev.revise.envs.synthetic.SyntheticTaskSource;
import dev.revise.envs.synthetic.SyntheticVerifier;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.ModelShapes;
import dev.revise.policies.model.LlamaConfig;
import dev.revise.policies.model.LlamaModel;
import dev.revise.policies.tokenizer.CharTokenizer;
import dev.revise.policies.tokenizer.ChatFormat;
import dev.revise.rl.PrefillStats;
import dev.revise.rl.RewardBreakdown;
import dev.revise.rl.RewardFunction;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.Task;
import dev.revise.rl.rollout.Rollout;
import dev.revise.rl.rollout.RolloutRequest;
import dev.revise.rl.rollout.RolloutWorker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Rollouts through a decode session (continuous batching, shared group prefills, KV reuse across
 * turns) equal turn-by-turn rollouts with every context prefilled in full: the same tokens,
 * sampling log-probs and rewards for the same seeds, with the episode's own bookkeeping.
 */
class KvReuseRolloutTest {
    static final RewardFunction PER_TURN = t -> {
        double[] r = new double[t.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = t.turn(i).verdict().binary();
        }
        return new RewardBreakdown(r, Map.of("correct", r));
    };

    @ParameterizedTest(name = "turns {0}, window {1}, max batch {2}, {3}")
    @CsvSource({"3, 0, 64, PLAIN", "3, 0, 5, CHATML", "3, 1, 64, PLAIN", "2, 0, 1, PLAIN"})
    void sessionRolloutsEqualTurnByTurnRollouts(int turns, int window, int maxBatch, String format) {
        CharTokenizer tok = ModelShapes.defaultTokenizer(64);
        LlamaConfig config = LlamaConfig.of(64, 32, 2, 4, 2, 64, false, 1e4)
                .withSpecialTokens(tok.bosId().getAsInt(), tok.eosId().getAsInt());
        EnvironmentConfig env = new EnvironmentConfig(
                turns,
                "{prompt}",
                FeedbackMode.INTRINSIC,
                "|",
                EnvironmentConfig.RISE_RETRY,
                EnvironmentConfig.DEFAULT_HINT,
                window,
                0,
                12);
        ChatFormat chat = format.equals("PLAIN") ? ChatFormat.PLAIN : ChatFormat.CHATML;
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy =
                        new LlamaPolicy(LlamaModel.random(config, root, Device.cpu(), 1), tok, null, chat)) {
            spiky(policy, 3f);
            SyntheticTaskSource source = new SyntheticTaskSource(SyntheticArithmetic.defaults(), 3);
            List<Task> tasks = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                tasks.add(source.next());
            }
            // eos stops rows at different lengths, so rows finish (and the next turns join) at different steps
            SamplingParams sampling = SamplingParams.sample(env.maxTokensPerTurn())
                    .withStopTokenIds(Set.of(tok.eosId().getAsInt()));
            RolloutRequest request = new RolloutRequest(tasks, 4, 11, 0, sampling);
            List<Rollout> plain = worker(env, policy, maxBatch, false).run(request, 0);
            List<Rollout> reused = worker(env, policy, maxBatch, true).run(request, 0);
            assertEquals(plain.size(), reused.size());
            PrefillStats total = PrefillStats.NONE;
            int lengths = 0;
            for (int i = 0; i < plain.size(); i++) {
                Rollout a = plain.get(i);
                Rollout b = reused.get(i);
                String what = "rollout " + i + " (" + a.trajectory().taskId() + ")";
                assertArrayEquals(a.tokens(), b.tokens(), what + ": tokens");
                assertArrayEquals(a.turnOfToken(), b.turnOfToken(), what + ": turns");
                assertArrayEquals(a.sampleLogProbs(), b.sampleLogProbs(), 1e-4f, what + ": log-probs");
                assertArrayEquals(a.rowStarts(), b.rowStarts(), what + ": rows");
                assertArrayEquals(a.rewards().perTurn(), b.rewards().perTurn(), what + ": rewards");
                assertEquals(a.prefill().total(), b.prefill().total(), what + ": context tokens");
                assertEquals(0, a.prefill().reused() + a.prefill().shared(), "turn by turn reuses nothing");
                total = total.plus(b.prefill());
                lengths += a.generatedTokens(0);
            }
            assertThat(lengths)
                    .as("eos never sampled: rows all ran to the limit")
                    .isLessThan(16 * 12);
            if (maxBatch > 1) { // one slot: each sequence evicts the one before
                assertThat(total.shared()).as("group prompts copied").isPositive();
                assertThat(total.reused())
                        .as("later turns continued their cache")
                        .isPositive();
            }
            if (window > 0) {
                assertThat(total.fallbacks())
                        .as("a window drops attempts: not append-only")
                        .isPositive();
            } else {
                assertEquals(0, total.fallbacks());
            }
        }
    }

    /** Scales every weight but the norms, so sampling is far from uniform and eos ends rows early. */
    static void spiky(LlamaPolicy policy, float factor) {
        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.wrap(policy.snapshot()).order(java.nio.ByteOrder.nativeOrder());
        int at = 0;
        for (Map.Entry<String, ai.djl.ndarray.NDArray> e : policy.parameters().entrySet()) {
            int n = (int) e.getValue().size();
            if (!e.getKey().endsWith("norm.weight")) {
                for (int i = 0; i < n; i++) {
                    bytes.putFloat(at + 4 * i, bytes.getFloat(at + 4 * i) * factor);
                }
            }
            at += 4 * n;
        }
        policy.restore(bytes.array(), policy.version() + 1);
    }

    static RolloutWorker worker(EnvironmentConfig env, LlamaPolicy policy, int maxBatch, boolean reuse) {
        return new RolloutWorker(
                new SelfCorrectionEnvironment(env, new SyntheticVerifier()),
                policy.generator(),
                policy,
                PER_TURN,
                maxBatch,
                reuse);
    }
}
