package dev.revise.envs.synthetic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.revise.rl.Task;
import dev.revise.rl.TaskSource;
import dev.revise.rl.Verdict;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class StartSearchTest {
    final StartSearch family = new StartSearch(4, 1, "+-", 10, 10);
    final StartSearchVerifier verifier = new StartSearchVerifier();

    @Test
    void questionHidesTheStartOfTheSameChain() {
        // the chain of SyntheticArithmetic's stream, with its start moved into the answer
        SyntheticArithmetic.Problem chain = family.chain().problem(5, 3);
        StartSearch.Problem p = family.problem(5, 3);
        String ops = chain.question().replaceFirst("^Q\\d+", "").replace(":", "");
        assertEquals("Q" + ops + "=" + chain.answer() + ":", p.question());
        assertEquals(chain.question().substring(1, 2), p.answer());
        assertThat(p.question()).matches("Q([+-]\\d){4}=\\d:");
        assertThat(p.solution()).matches("A\\d(;\\d[+-]\\d=\\d){4}");
    }

    @Test
    void goldenProblems() {
        // fixed forever: runs, their resumes and the shipped base depend on the stream
        StartSearch.Problem p = family.problem(0, 0);
        assertEquals("Q+5-1-5-6=0:", p.question());
        assertEquals("A7;7+5=2;2-1=1;1-5=6;6-6=0", p.solution());
        assertEquals("7", p.answer());
        Task t = p.toTask();
        assertEquals("search:Q+5-1-5-6=0:", t.id());
        assertEquals("10", t.require(StartSearch.MODULUS));
        assertTrue(verifier.verify(t, p.solution()).correct());
        List<Task> held = family.heldOutTasks(0, 2);
        assertEquals("Q-3-8+6-1=6:", held.get(0).prompt());
        assertEquals("2", held.get(0).answer());
        assertEquals("Q-0-7-4-3=2:", held.get(1).prompt());
    }

    @Test
    void aFixedResultShiftsTheStartOfTheSameOperations() {
        StartSearch zero = new StartSearch(family.chain(), 0);
        StartSearch.Problem random = family.problem(0, 1);
        StartSearch.Problem p = zero.problem(0, 1);
        // the same operations, the start moved so that the chain ends at 0
        assertEquals(random.question().replaceFirst("=\\d:$", ""), p.question().replaceFirst("=\\d:$", ""));
        assertThat(p.question()).endsWith("=0:");
        assertThat(p.solution()).matches("A\\d(;\\d[+-]\\d=\\d){3};\\d[+-]\\d=0");
        assertEquals(p.solution().substring(1, 2), p.answer());
        // golden, fixed forever (the shipped start-search base was trained on this stream)
        assertEquals("Q-8-3+7+9=0:", p.question());
        assertEquals("A5;5-8=7;7-3=4;4+7=1;1+9=0", p.solution());
        SplittableRandom rng = new SplittableRandom(3);
        for (int i = 0; i < 200; i++) {
            Task t = zero.generate(rng).toTask();
            assertThat(t.prompt()).endsWith("=0:");
            assertTrue(verifier.verify(t, t.require("solution")).correct(), t.prompt());
        }
        assertThat(assertThrows(
                                IllegalArgumentException.class,
                                () -> new StartSearch(new SyntheticArithmetic(4, 1, "+*", 10, 10), 0))
                        .getMessage())
                .contains("task.start_search.result", "'+*'");
        assertThat(assertThrows(IllegalArgumentException.class, () -> new StartSearch(family.chain(), 10))
                        .getMessage())
                .contains("task.start_search.result", "0..9");
    }

    @Test
    void referenceAttemptsAreRightAndEveryOtherStartIsWrongForAdditiveChains() {
        SplittableRandom rng = new SplittableRandom(1);
        for (int i = 0; i < 300; i++) {
            Task t = family.generate(rng).toTask();
            assertTrue(verifier.verify(t, t.require("solution")).correct(), t.prompt());
            int right = 0;
            for (int s = 0; s < 10; s++) {
                right += verifier.verify(t, "A" + s + ";").correct() ? 1 : 0;
            }
            assertEquals(1, right, "+/- modulo 10 is a bijection: one start per question " + t.prompt());
        }
    }

    @Test
    void verifierGradesTheCommittedStartNotTheSteps() {
        Task t = new Task("x", "Q+5-7+2=8:", "8", Map.of(StartSearch.MODULUS, "10"));
        assertTrue(verifier.verify(t, "A8;8+5=3;3-7=6;6+2=8").correct());
        assertTrue(verifier.verify(t, "A8;8+5=4;4-7=7;7+2=9").correct(), "a slip in the check costs nothing");
        assertTrue(verifier.verify(t, "A18;").correct(), "18 = 8 modulo 10");
        Verdict wrong = verifier.verify(t, "A7;7+5=2;2-7=5;5+2=7");
        assertFalse(wrong.correct());
        assertEquals("7", wrong.extracted());
        assertThat(wrong.reason()).contains("reaches 7, not 8");
        assertFalse(verifier.verify(t, "8+5=3;A8").parsed(), "the start comes first");
        assertFalse(verifier.verify(t, "").parsed());
        assertFalse(verifier.verify(t, "A").parsed());
        assertFalse(verifier.verify(t, "A99999999999999999999;").parsed(), "more than 18 digits");
    }

    @Test
    void exactChainsDetectOverflow() {
        Task t = new Task("x", "Q*999999999*999999999=1:", "1", Map.of(StartSearch.MODULUS, "0"));
        assertThat(verifier.verify(t, "A999999999;").reason()).contains("overflows");
        assertNull(StartSearchVerifier.evaluate(Long.MAX_VALUE, "+1", 0));
        assertEquals(-3L, StartSearchVerifier.evaluate(2, "-5", 0));
    }

    @Test
    void malformedQuestionNamesTheTask() {
        Task t = new Task("search:bad", "Q3+5:", "8", Map.of(StartSearch.MODULUS, "10"));
        assertThat(assertThrows(IllegalArgumentException.class, () -> verifier.verify(t, "A1;"))
                        .getMessage())
                .contains("search:bad");
        Task noModulus = new Task("search:nm", "Q+5=8:", "3");
        assertThat(assertThrows(IllegalArgumentException.class, () -> verifier.verify(noModulus, "A3;"))
                        .getMessage())
                .contains("search:nm")
                .contains("modulus");
    }

    @Test
    void trainAndHeldOutSplitsAreDisjointAndDeterministic() {
        List<Task> heldOut = family.heldOutTasks(7, 300);
        assertEquals(heldOut, family.heldOutTasks(7, 300));
        Set<String> held = new HashSet<>();
        heldOut.forEach(t -> held.add(t.prompt()));
        assertEquals(300, held.size());
        heldOut.forEach(t -> assertTrue(family.isHeldOut(t.prompt())));
        SyntheticTaskSource train = new SyntheticTaskSource(family, 7);
        for (int i = 0; i < 5000; i++) {
            Task t = train.next();
            assertFalse(held.contains(t.prompt()), "held-out problem in the train stream: " + t.prompt());
        }
    }

    @Test
    void trainStreamResumesFromItsCursor() {
        SyntheticTaskSource a = new SyntheticTaskSource(family, 11);
        for (int i = 0; i < 37; i++) {
            a.next();
        }
        TaskSource.TaskCursor c = a.cursor();
        SyntheticTaskSource b = new SyntheticTaskSource(family, 11);
        b.restore(c);
        for (int i = 0; i < 20; i++) {
            assertEquals(a.next(), b.next());
        }
    }

    @Test
    void noisyAttemptsMissTheStartAtTheirRateAndEvaluateFromWhatTheyCommitted() {
        StartSearchAttempts noisy = new StartSearchAttempts(family, 0.4, 0.0);
        SplittableRandom rng = new SplittableRandom(3);
        int wrongStarts = 0;
        int n = 4000;
        for (int i = 0; i < n; i++) {
            Task t = family.generate(rng).toTask();
            String a = noisy.attempt(t.require("solution"), rng);
            assertThat(a).matches("A\\d(;\\d[+-]\\d=\\d){4}");
            String[] parts = a.split(";");
            long value = Long.parseLong(parts[0].substring(1));
            for (int s = 1; s < parts.length; s++) {
                assertTrue(parts[s].startsWith(value + ""), "each step continues from the written value: " + a);
                String rhs = parts[s].substring(parts[s].indexOf('=') + 1);
                String lhs = parts[s].substring(0, parts[s].indexOf('='));
                long expected = StartSearchVerifier.evaluate(value, lhs.substring(1), 10);
                assertEquals(expected, Long.parseLong(rhs), "step error 0: exact steps in " + a);
                value = Long.parseLong(rhs);
            }
            wrongStarts += verifier.verify(t, a).correct() ? 0 : 1;
        }
        assertEquals(0.4, wrongStarts / (double) n, 0.03);
    }

    @Test
    void noisyStepsSlipButTheStartStaysGraded() {
        StartSearchAttempts noisy = new StartSearchAttempts(family, 0.0, 0.5);
        SplittableRandom rng = new SplittableRandom(4);
        int slipped = 0;
        for (int i = 0; i < 500; i++) {
            Task t = family.generate(rng).toTask();
            String a = noisy.attempt(t.require("solution"), rng);
            assertTrue(verifier.verify(t, a).correct(), a);
            slipped += a.equals(t.require("solution")) ? 0 : 1;
        }
        assertThat(slipped).isGreaterThan(400); // 1 - 0.5^4 of them
    }

    @Test
    void knobsAreValidatedWithTheirNames() {
        assertThat(assertThrows(IllegalArgumentException.class, () -> new StartSearchAttempts(family, 1.0, 0))
                        .getMessage())
                .contains("sft.start_error");
        assertThat(assertThrows(IllegalArgumentException.class, () -> new StartSearchAttempts(family, 0, -0.1))
                        .getMessage())
                .contains("sft.step_error");
        assertThat(assertThrows(IllegalArgumentException.class, () -> new StartSearchAttempts(family, 0, 0)
                                .attempt("3+5=8;A8", new SplittableRandom(0)))
                        .getMessage())
                .contains("not a start-search solution");
        StartSearch none = new StartSearch(2, 1, "+", 10, 0);
        assertThat(assertThrows(IllegalArgumentException.class, () -> none.heldOutTasks(0, 1))
                        .getMessage())
                .contains("task.start_search.held_out_percent");
    }
}
