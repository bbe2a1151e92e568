package dev.revise.experiments.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.revise.rl.Completion;
import dev.revise.rl.Feedback;
import dev.revise.rl.FinishReason;
import dev.revise.rl.Task;
import dev.revise.rl.Trajectory;
import dev.revise.rl.Turn;
import dev.revise.rl.Verdict;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Golden values of the probe's bookkeeping: corruption, stand-ins and repair locality. */
class AttemptInterventionTest {
    @Test
    void aCorruptionIsOneSlipCarriedOnToTheAnswer() {
        String own = "3+5=8;8-7=1;1+2=3;A3";
        for (long seed = 0; seed < 40; seed++) {
            String bad = AttemptIntervention.corrupt(own, 10, seed);
            assertThat(bad).as("seed %d", seed).isNotEqualTo(own).startsWith("3+5=");
            String[] items = bad.split(";");
            int firstWrong = -1;
            int prev = -1;
            for (int k = 0; k < 3; k++) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)([+-])(\\d+)=(\\d+)")
                        .matcher(items[k]);
                assertThat(m.matches()).as(bad).isTrue();
                int a = Integer.parseInt(m.group(1));
                int c = Integer.parseInt(m.group(4));
                int right = Math.floorMod(a + (m.group(2).equals("+") ? 1 : -1) * Integer.parseInt(m.group(3)), 10);
                if (k > 0) {
                    assertEquals(prev, a, "chained: " + bad);
                }
                if (c != right) {
                    assertEquals(-1, firstWrong, "exactly one slip: " + bad);
                    firstWrong = k;
                }
                prev = c;
            }
            assertThat(firstWrong).as(bad).isNotNegative();
            assertEquals("A" + prev, items[3], "the answer follows the slip: " + bad);
            assertThat(prev)
                    .as("a +- chain shifts every later value: the answer is wrong")
                    .isNotEqualTo(3);
        }
        assertEquals(AttemptIntervention.corrupt(own, 10, 42), AttemptIntervention.corrupt(own, 10, 42), "seeded");
        // golden: the seed picks the step and the value for good
        assertEquals("3+5=8;8-7=1;1+2=7;A7", AttemptIntervention.corrupt(own, 10, 1));
        // start_search's layout commits the start first: the slip is the start, the check chain follows it
        assertEquals("A3;3+5=8;8-7=1;1+2=3", AttemptIntervention.corrupt("A8;8+5=3;3-7=6;6+2=8", 10, 7));
        // without a modulus, off by 1..9; a step inside prose is found, the rest of the text kept
        String prose = AttemptIntervention.corrupt("so 12*3=36 and done", 0, 3);
        assertThat(prose).matches("so 12\\*3=(2[7-9]|3[0-5]|3[7-9]|4[0-5]) and done");
        // a step not chained to the slipped one is left alone
        assertEquals("1+1=9;5+5=0;A0", AttemptIntervention.corrupt("1+1=2;5+5=0;A0", 10, 2));
        assertNull(AttemptIntervention.corrupt("A7", 10, 1), "nothing to change");
    }

    @Test
    void aStandInEndsWithTheStopTokenTheSampledAttemptEndedWith() {
        Completion sampled =
                new Completion("12", new int[] {5, 6, 2}, new float[] {-1f, -1f, -1f}, FinishReason.STOP_TOKEN);
        Completion in = AttemptIntervention.standIn("A9", new int[] {20, 13}, sampled, Set.of(2));
        assertEquals("A9", in.text());
        assertArrayEquals(new int[] {20, 13, 2}, in.tokenIds());
        assertArrayEquals(new float[3], in.logProbs());
        Completion cut = new Completion("12", new int[] {5, 6}, new float[2], FinishReason.LENGTH);
        assertArrayEquals(
                new int[] {20, 13},
                AttemptIntervention.standIn("A9", new int[] {20, 13}, cut, Set.of(2))
                        .tokenIds());
    }

    @Test
    void repairLocalityKeepsThePrefixAndChangesTheFirstWrongStep() {
        String ref = "3+5=8;8-7=1;1+2=3;A3";
        assertTrue(AttemptIntervention.isLocalRepair("3+5=8;8-7=2;2+2=4;A4", ref, ref));
        assertFalse(AttemptIntervention.isLocalRepair("3+5=8;8-7=2;2+2=4;A4", "3+5=9;9-7=2;2+2=4;A3", ref));
        assertFalse(
                AttemptIntervention.isLocalRepair("3+5=8;8-7=2;2+2=4;A4", "3+5=8;8-7=2;2+2=3;A3", ref),
                "kept the wrong step and patched a later one");
        assertTrue(AttemptIntervention.isLocalRepair("A7;7+5=2", "A8;8+5=3", "A8;8+5=3"), "the start was wrong");
        assertTrue(AttemptIntervention.isLocalRepair("3+5=8;8-7=1", ref, ref), "a cut attempt, completed");
    }

    @Test
    void repairLocalityCountsOnlyWrongToRightEpisodes() {
        String ref = "3+5=8;8-7=1;A1";
        Task t = new Task("syn:Q3+5-7:", "Q3+5-7:", "1", Map.of("solution", ref));
        List<Trajectory> episodes = List.of(
                episode(t, "3+5=8;8-7=2;A2", false, ref, true), // local
                episode(t, "3+5=9;9-7=2;A2", false, "3+5=8;8-7=1;A9;A1", true), // local: step 0 changed
                episode(t, "3+5=8;8-7=2;A2", false, "3+5=9;8-7=1;A1", true), // not local: a kept step changed
                episode(t, ref, true, ref, true), // right -> right
                episode(t, "3+5=8;8-7=2;A2", false, "3+5=8;8-7=2;A2", false)); // wrong -> wrong
        AttemptIntervention.Locality l = AttemptIntervention.repairLocality(episodes, Map.of(t.id(), t));
        assertEquals(3, l.corrections());
        assertEquals(2, l.local());
        assertEquals(2 / 3.0, l.fraction(), 1e-12);
        assertNull(AttemptIntervention.repairLocality(List.of(), Map.of()).fraction());
    }

    @Test
    void modesParseByName() {
        assertEquals(AttemptIntervention.Mode.CORRUPT, AttemptIntervention.Mode.parse("corrupt"));
        assertThat(assertThrows(IllegalArgumentException.class, () -> AttemptIntervention.Mode.parse("swap"))
                        .getMessage())
                .contains("--intervene", "own, gold, corrupt or other", "swap");
    }

    static Trajectory episode(Task t, String first, boolean firstRight, String second, boolean secondRight) {
        return new Trajectory(
                t.id(), t.id() + "@0", List.of(turn(0, first, firstRight), turn(1, second, secondRight)), 0, 0);
    }

    private static Turn turn(int i, String text, boolean right) {
        Verdict v = right ? Verdict.correct("x", "right") : Verdict.incorrect("y", 0, "wrong");
        return new Turn(
                i,
                List.of(),
                new Completion(text, new int[0], new float[0], FinishReason.STOP_TOKEN),
                v,
                i == 0 ? Feedback.retry("|") : Feedback.end());
    }
}
