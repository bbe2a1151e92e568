package dev.revise.policies.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.TestModels;
import dev.revise.policies.lora.LoraConfig;
import dev.revise.policies.model.LlamaConfig;
import dev.revise.policies.model.RopeScaling;
import dev.revise.rl.Completion;
import dev.revise.rl.DecodeSession;
import dev.revise.rl.Generator;
import dev.revise.rl.PrefillStats;
import dev.revise.rl.Prompt;
import dev.revise.rl.SamplingParams;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A decode session (shared prompt prefills, KV reuse across turns, continuous batching) gives the
 * tokens and log-probs of plain batched generation for the same prompts and seeds.
 */
class LlamaDecodeSessionTest {
    static final SamplingParams PARAMS = SamplingParams.sample(9).withStopTokenIds(Set.of(3));

    /** Submits every prompt (key = index) and runs the session until all are finished. */
    static Map<Long, DecodeSession.Finished> runAll(DecodeSession session, List<Prompt> prompts) {
        for (int i = 0; i < prompts.size(); i++) {
            session.submit(i, prompts.get(i));
        }
        Map<Long, DecodeSession.Finished> out = new HashMap<>();
        for (List<DecodeSession.Finished> f = session.next(); !f.isEmpty(); f = session.next()) {
            for (DecodeSession.Finished x : f) {
                out.put(x.key(), x);
            }
        }
        return out;
    }

    static void assertSame(Completion expected, Completion got, String what) {
        assertArrayEquals(expected.tokenIds(), got.tokenIds(), what + ": tokens");
        assertArrayEquals(expected.logProbs(), got.logProbs(), 1e-4f, what + ": log-probs");
        assertEquals(expected.finishReason(), got.finishReason(), what + ": finish reason");
        assertEquals(expected.text(), got.text(), what + ": text");
    }

    static List<Prompt> groups() {
        List<Prompt> prompts = new ArrayList<>();
        int[][] tasks = {{1, 5, 6, 7, 2}, {1, 9, 9, 4}, {1, 2, 8, 8, 8, 8, 6, 5, 4}};
        for (int t = 0; t < tasks.length; t++) {
            for (int g = 0; g < 4; g++) {
                prompts.add(new Prompt(tasks[t], 100L * t + g));
            }
        }
        return prompts;
    }

    static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) {
            n += p.length;
        }
        int[] out = new int[n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** Two turns through the session (the second continuing each key's cache) against fresh generation. */
    static void twoTurnsMatch(Generator generator, int slots) {
        List<Prompt> first = groups();
        List<Completion> expected1 = generator.generate(first, PARAMS);
        List<Prompt> second = new ArrayList<>();
        for (int i = 0; i < first.size(); i++) {
            int[] feedback = {10 + i % 5, 11};
            second.add(new Prompt(
                    concat(first.get(i).tokenIds(), expected1.get(i).tokenIds(), feedback),
                    first.get(i).seed() + 7));
        }
        List<Completion> expected2 = generator.generate(second, PARAMS);
        try (DecodeSession session = generator.openSession(slots, PARAMS)) {
            Map<Long, DecodeSession.Finished> got1 = runAll(session, first);
            for (int i = 0; i < first.size(); i++) {
                assertSame(expected1.get(i), got1.get((long) i).completion(), "turn 1, row " + i);
            }
            Map<Long, DecodeSession.Finished> got2 = runAll(session, second);
            long reused = 0;
            for (int i = 0; i < first.size(); i++) {
                DecodeSession.Finished f = got2.get((long) i);
                assertSame(expected2.get(i), f.completion(), "turn 2, row " + i);
                assertEquals(0, f.prefill().fallbacks(), "turn 2 extends turn 1");
                reused += f.prefill().reused();
            }
            assertTrue(reused > 0, "turn 2 reused no cached token");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {12, 5, 1})
    void twoTurnsThroughTheSessionEqualFreshGeneration(int slots) {
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = TestModels.policy(root, TestModels.gqa(24), 17)) {
            TestModels.spiky(policy, 3f, 5);
            twoTurnsMatch(policy.generator(), slots);
        }
    }

    @Test
    void slidingWindowQkNormAndLoraMatchToo() {
        LlamaConfig mistral = TestModels.gqa(24).withFamily("qwen3", false, false, false, true, 6);
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy base = TestModels.policy(root, mistral, 23)) {
            TestModels.spiky(base, 3f, 9);
            twoTurnsMatch(base.generator(), 4);
            try (LlamaPolicy lora = base.withAdapter(
                    TestModels.nonzeroAdapter(root, mistral, new LoraConfig(4, 8, 0, LoraConfig.ALL_TARGETS), 3))) {
                twoTurnsMatch(lora.generator(), 7);
            }
        }
    }

    @Test
    void aGroupSharesOnePrefillAndCountsIt() {
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = TestModels.policy(root, TestModels.gqa(24), 17)) {
            List<Prompt> prompts = groups();
            try (DecodeSession session = policy.generator().openSession(16, PARAMS)) {
                Map<Long, DecodeSession.Finished> got = runAll(session, prompts);
                PrefillStats total = session.stats();
                // each task's prompt computed once, its three other samples copied
                assertEquals(5 + 4 + 9, total.computed());
                assertEquals(3 * (5 + 4 + 9), total.shared());
                assertEquals(0, total.reused());
                assertEquals(
                        PrefillStats.NONE.plus(new PrefillStats(0, 0, 4, 0)),
                        got.get(5L).prefill());
            }
        }
    }

    @Test
    void aContextThatIsNotAnExtensionReusesTheCommonPrefixAndSaysSo() {
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = TestModels.policy(root, TestModels.gqa(24), 17)) {
            TestModels.spiky(policy, 3f, 5);
            Generator generator = policy.generator();
            int[] prompt = {1, 5, 6, 7, 2, 9};
            int[] rewritten = {1, 5, 6, 12, 12, 2};
            Completion expected = generator
                    .generate(List.of(new Prompt(rewritten, 4)), PARAMS)
                    .get(0);
            try (DecodeSession session = generator.openSession(2, PARAMS)) {
                runAll(session, List.of(new Prompt(prompt, 3)));
                DecodeSession.Finished f =
                        runAll(session, List.of(new Prompt(rewritten, 4))).get(0L);
                assertSame(expected, f.completion(), "rewritten context");
                assertEquals(new PrefillStats(3, 3, 0, 1), f.prefill());
            }
        }
    }

    @Test
    void theCacheGrowsPastItsFirstCapacity() {
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = TestModels.policy(root, TestModels.gqa(24), 17)) {
            TestModels.spiky(policy, 3f, 5);
            Generator generator = policy.generator();
            SamplingParams params = SamplingParams.sample(6);
            int[] context = {1, 2};
            try (DecodeSession session = generator.openSession(3, params)) {
                for (int turn = 0; turn < 6; turn++) {
                    Completion expected = generator
                            .generate(List.of(new Prompt(context, turn)), params)
                            .get(0);
                    Completion got = runAll(session, List.of(new Prompt(context, turn)))
                            .get(0L)
                            .completion();
                    assertSame(expected, got, "turn " + turn);
                    context = concat(context, got.tokenIds(), new int[] {4, 4, 4, 4, 4, 4, 4, 4});
                }
            }
        }
    }

    @Test
    void misuseIsRefusedByName() {
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = TestModels.policy(root, TestModels.gqa(24), 17)) {
            DecodeSession session = policy.generator().openSession(1, PARAMS);
            session.submit(0, new Prompt(new int[] {1, 2}, 1));
            assertTrue(assertThrows(IllegalStateException.class, () -> session.submit(0, new Prompt(new int[] {1}, 1)))
                    .getMessage()
                    .contains("sequence 0 already"));
            assertTrue(
                    assertThrows(IllegalArgumentException.class, () -> session.submit(1, new Prompt(new int[] {99}, 1)))
                            .getMessage()
                            .contains("outside the vocabulary"));
            // key 0 holds the only slot until it finishes, then key 1 evicts it
            session.submit(1, new Prompt(new int[] {1, 3}, 1));
            assertEquals(0L, session.next().get(0).key());
            assertEquals(1L, session.next().get(0).key());
            assertTrue(session.next().isEmpty());
            session.close();
            assertThrows(IllegalStateException.class, session::next);
        }
    }

    @Test
    void dynamicRopeHasNoSession() {
        LlamaConfig dynamic = TestModels.gqa(24).withRope(1e4, RopeScaling.dynamic(2.0));
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = TestModels.policy(root, dynamic, 17)) {
            assertNull(policy.generator().openSession(4, PARAMS));
        }
    }

    static int live(NDManager root) {
        return ((ai.djl.ndarray.BaseNDManager) root).getManagedArrays().size();
    }

    @Test
    void closingTheSessionFreesItsCache() {
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = TestModels.policy(root, TestModels.gqa(24), 17)) {
            Generator generator = policy.generator();
            for (int warm = 0; warm < 2; warm++) {
                try (DecodeSession session = generator.openSession(4, PARAMS)) {
                    runAll(session, groups());
                }
            }
            int before = live(root);
            for (int i = 0; i < 3; i++) {
                try (DecodeSession session = generator.openSession(4, PARAMS)) {
                    runAll(session, groups());
                    assertTrue(live(root) > before, "the open session's cache is not counted");
                }
            }
            assertEquals(before, live(root), "arrays left behind");
        }
    }
}
