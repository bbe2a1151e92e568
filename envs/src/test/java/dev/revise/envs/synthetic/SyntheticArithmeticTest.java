package dev.revise.envs.synthetic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.revise.rl.Task;
import dev.revise.rl.TaskSource;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SyntheticArithmeticTest {
    final SyntheticArithmetic gen = SyntheticArithmetic.defaults();

    @Test
    void solutionsAreCorrectStepByStep() {
        SyntheticArithmetic exact = new SyntheticArithmetic(5, 2, "+-*", 0, 10);
        SplittableRandom rng = new SplittableRandom(1);
        for (int i = 0; i < 200; i++) {
            SyntheticArithmetic.Problem p = exact.generate(rng);
            String[] steps = p.solution().split(";");
            assertEquals(6, steps.length, p.solution());
            long value = Long.parseLong(p.question().substring(1).split("[-+*]")[0]);
            for (int s = 0; s < 5; s++) {
                String[] eq = steps[s].split("=");
                long lhs = eval(eq[0]);
                assertEquals(lhs, Long.parseLong(eq[1]), "step " + s + " of " + p);
                assertTrue(
                        eq[0].startsWith(Long.toString(value)), "step " + s + " must start from the previous result");
                value = lhs;
            }
            assertEquals("A" + value, steps[5]);
            assertEquals(Long.toString(value), p.answer());
        }
    }

    private static long eval(String expr) {
        int at = Math.max(expr.lastIndexOf('+'), Math.max(expr.lastIndexOf('*'), expr.lastIndexOf('-')));
        while (at == 0 || (at > 0 && "+-*".indexOf(expr.charAt(at - 1)) >= 0)) {
            at = Math.max(
                    expr.substring(0, at).lastIndexOf('+'),
                    Math.max(
                            expr.substring(0, at).lastIndexOf('*'),
                            expr.substring(0, at).lastIndexOf('-')));
        }
        long a = Long.parseLong(expr.substring(0, at));
        long b = Long.parseLong(expr.substring(at + 1));
        return switch (expr.charAt(at)) {
            case '+' -> a + b;
            case '-' -> a - b;
            default -> a * b;
        };
    }

    @Test
    void prototypeFormat() {
        SyntheticArithmetic.Problem p = gen.generate(new SplittableRandom(3));
        assertThat(p.question()).matches("Q\\d([+-]\\d){4}:");
        assertThat(p.solution()).matches("(\\d[+-]\\d=\\d;){4}A\\d");
        assertEquals(26, p.solution().length());
    }

    @Test
    void trainAndHeldOutSplitsAreDisjointAndDeterministic() {
        List<Task> heldOut = gen.heldOutTasks(7, 300);
        assertEquals(heldOut, gen.heldOutTasks(7, 300));
        Set<String> held = new HashSet<>();
        heldOut.forEach(t -> held.add(t.prompt()));
        assertEquals(300, held.size());
        SyntheticTaskSource train = new SyntheticTaskSource(gen, 7);
        for (int i = 0; i < 5000; i++) {
            Task t = train.next();
            assertFalse(held.contains(t.prompt()), "held-out problem in the train stream: " + t.prompt());
            assertFalse(gen.isHeldOut(t.prompt()));
        }
    }

    @Test
    void trainStreamResumesFromItsCursor() {
        SyntheticTaskSource a = new SyntheticTaskSource(gen, 11);
        for (int i = 0; i < 37; i++) {
            a.next();
        }
        TaskSource.TaskCursor c = a.cursor();
        SyntheticTaskSource b = new SyntheticTaskSource(gen, 11);
        b.restore(c);
        for (int i = 0; i < 20; i++) {
            assertEquals(a.next(), b.next());
        }
    }

    @Test
    void verifierReadsTheLastAnswer() {
        Task t = new Task("x", "Q1+1-0+0+0:", "2");
        SyntheticVerifier v = new SyntheticVerifier();
        assertTrue(v.verify(t, "1+1=2;2-0=2;2+0=2;2+0=2;A2").correct());
        assertTrue(v.verify(t, "A3 ... A2").correct());
        assertFalse(v.verify(t, "1+1=3;A3").correct());
        assertEquals("3", v.verify(t, "1+1=3;A3").extracted());
        assertFalse(v.verify(t, "1+1=2;").parsed());
    }

    @Test
    void knobsAreValidatedWithTheirNames() {
        assertThat(assertThrows(IllegalArgumentException.class, () -> new SyntheticArithmetic(0, 1, "+", 10, 10))
                        .getMessage())
                .contains("synthetic.steps");
        assertThat(assertThrows(IllegalArgumentException.class, () -> new SyntheticArithmetic(2, 1, "+/", 10, 10))
                        .getMessage())
                .contains("synthetic.operators");
        assertThat(assertThrows(IllegalArgumentException.class, () -> new SyntheticArithmetic(2, 1, "+", 1, 10))
                        .getMessage())
                .contains("synthetic.modulus");
    }
}
