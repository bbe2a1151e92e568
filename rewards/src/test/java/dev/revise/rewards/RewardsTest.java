package dev.revise.rewards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.rl.Completion;
import dev.revise.rl.Feedback;
import dev.revise.rl.FinishReason;
import dev.revise.rl.Message;
import dev.revise.rl.RewardBreakdown;
import dev.revise.rl.Trajectory;
import dev.revise.rl.Turn;
import dev.revise.rl.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RewardsTest {
    /** Attempts: "c" correct, "i" incorrect with answer "x", "j" incorrect with answer "y", "u" unparseable. */
    static Trajectory traj(String... attempts) {
        List<Turn> turns = new ArrayList<>();
        for (int k = 0; k < attempts.length; k++) {
            Verdict v =
                    switch (attempts[k]) {
                        case "c" -> Verdict.correct("4", "ok");
                        case "i" -> Verdict.incorrect("x", 0, "no");
                        case "j" -> Verdict.incorrect("y", 0.5, "half");
                        default -> Verdict.unparseable("none");
                    };
            int len = 3 + k;
            turns.add(new Turn(
                    k,
                    List.of(Message.user("q")),
                    new Completion("a", new int[len], new float[len], FinishReason.STOP_TOKEN),
                    v,
                    k + 1 == attempts.length ? Feedback.end() : Feedback.retry("again")));
        }
        return new Trajectory("t", "g", turns, 0, 0);
    }

    static JsonNode json(String s) throws Exception {
        return new ObjectMapper().readTree(s);
    }

    @ParameterizedTest(name = "{0}{1}: turn 2 earns {2}")
    @CsvSource({"i, c, 11", "c, i, -10", "c, c, 1", "i, i, 0"})
    void scoreStage2GoldenValues(String first, String second, double turn2) {
        RewardBreakdown b = RewardPresets.scoreStage2(10).score(traj(first, second));
        assertEquals(turn2, b.turn(1), 1e-12);
        assertEquals(first.equals("c") ? 1 : 0, b.turn(0), 1e-12);
    }

    @Test
    void scoreStage1RewardsOnlyAttemptTwo() {
        assertArrayEquals(
                new double[] {0, 1},
                RewardPresets.scoreStage1().score(traj("c", "c")).perTurn(),
                0);
        assertArrayEquals(
                new double[] {0, 0},
                RewardPresets.scoreStage1().score(traj("c", "i")).perTurn(),
                0);
    }

    @Test
    void riseRewardsAndPartialCredit() {
        assertArrayEquals(
                new double[] {-1, 0, 1},
                RewardPresets.rise().score(traj("u", "i", "c")).perTurn(),
                0);
        CompositeReward partial =
                new CompositeReward(Map.of("c", CompositeReward.Entry.of(new RewardTerm.Correctness(true), 1)), 1);
        assertArrayEquals(new double[] {0.5, 1}, partial.score(traj("j", "c")).perTurn(), 0);
    }

    @Test
    void formatIsPaidOncePerTrajectoryWhateverTheTurns() {
        CompositeReward format =
                new CompositeReward(Map.of("f", CompositeReward.Entry.of(new RewardTerm.Format(), 1)), 1);
        for (int k = 1; k <= 5; k++) {
            String[] attempts = new String[k];
            java.util.Arrays.fill(attempts, "i");
            assertEquals(1.0, format.score(traj(attempts)).total(), 0, k + " turns");
        }
        assertEquals(0.0, format.score(traj("c", "u")).total(), 0, "an unparseable final answer earns nothing");
    }

    @Test
    void lengthOverlongAndChangeTerms() {
        Trajectory t = traj("c", "i", "i"); // lengths 3, 4, 5
        assertArrayEquals(new double[] {-3, -4, -5}, new RewardTerm.Length().values(t), 0);
        // max 5, buffer 2: safe up to 3; 4 -> (3 - 4) / 2; 5 -> (3 - 5) / 2
        assertArrayEquals(new double[] {0, -0.5, -1}, new RewardTerm.Overlong(5, 2).values(t), 1e-12);
        assertArrayEquals(new double[] {-1, -1, -1}, new RewardTerm.Overlong(2, 1).values(t), 1e-12);
        assertArrayEquals(new double[] {0, -1, 0}, new RewardTerm.ChangedCorrect().values(t), 0);
        assertArrayEquals(new double[] {0, 0, -1}, new RewardTerm.UnchangedWrong().values(t), 0);
        assertArrayEquals(
                new double[] {0, 0, 1}, new RewardTerm.FinalCorrectness(false).values(traj("i", "i", "c")), 0);
    }

    @Test
    void compositionIsLinearAndSchedulesAndDiscounts() {
        Trajectory t = traj("i", "c", "j");
        RewardTerm f = new RewardTerm.Correctness(true);
        RewardTerm g = new RewardTerm.Progress(3, false);
        double[] vf = f.values(t);
        double[] vg = g.values(t);
        CompositeReward both = new CompositeReward(
                Map.of("f", CompositeReward.Entry.of(f, 2), "g", CompositeReward.Entry.of(g, -0.5)), 1);
        double[] got = both.score(t).perTurn();
        for (int k = 0; k < 3; k++) {
            assertEquals(2 * vf[k] - 0.5 * vg[k], got[k], 1e-12, "turn " + (k + 1));
        }
        CompositeReward scheduled =
                new CompositeReward(Map.of("f", new CompositeReward.Entry(f, 1, java.util.Set.of(2, 3))), 0.5);
        assertArrayEquals(
                new double[] {0, 0.5 * 1, 0.25 * 0.5}, scheduled.score(t).perTurn(), 1e-12);
        assertThat(scheduled.score(t).components()).containsKey("f");
    }

    @Test
    void missingVerdictsAndNaNAreRejected() {
        Trajectory t = traj("c", "c");
        List<Turn> turns = new ArrayList<>(t.turns());
        Turn second = turns.get(1);
        turns.set(1, new Turn(1, second.prompt(), second.completion(), null, second.feedback()));
        Trajectory missing = new Trajectory("t", "g", turns, 0, 0);
        assertThat(assertThrows(IllegalArgumentException.class, () -> RewardPresets.scoreStage2(10)
                                .score(missing))
                        .getMessage())
                .contains("turn 2 has no verdict");
        assertThrows(IllegalArgumentException.class, () -> Verdict.incorrect("x", Double.NaN, "nan credit"));
        assertThrows(IllegalArgumentException.class, () -> new RewardTerm.Progress(Double.NaN, false));
    }

    @Test
    void configBuildsTermsAndNamesPathsInErrors() throws Exception {
        CompositeReward r = RewardConfig.parse(
                json("{\"correct\": {\"type\": \"correctness\"}, \"progress\": {\"type\": \"progress\", \"alpha\": 10},"
                        + " \"format\": {\"type\": \"format\", \"weight\": 0.1}}"),
                "rewards");
        assertEquals(List.of("correct", "progress", "format"), r.names());
        RewardBreakdown b = r.score(traj("i", "c"));
        assertArrayEquals(new double[] {0, 1 + 10 + 0.1}, b.perTurn(), 1e-12);
        assertEquals(0.1, b.components().get("format")[1], 1e-12);

        assertThat(assertThrows(
                                IllegalArgumentException.class,
                                () -> RewardConfig.parse(
                                        json("{\"progress\": {\"type\": \"progress\", \"alpha\": \"ten\"}}"),
                                        "rewards"))
                        .getMessage())
                .isEqualTo("rewards.progress.alpha: expected a number, got \"ten\"");
        assertThat(assertThrows(
                                IllegalArgumentException.class,
                                () -> RewardConfig.parse(
                                        json("{\"progress\": {\"type\": \"progress\", \"alfa\": 10}}"), "rewards"))
                        .getMessage())
                .startsWith("rewards.progress.alfa: unknown key");
        assertThat(assertThrows(
                                IllegalArgumentException.class,
                                () -> RewardConfig.parse(json("{\"x\": {\"type\": \"bonus\"}}"), "rewards"))
                        .getMessage())
                .contains("rewards.x.type: unknown reward type 'bonus'");
        assertThat(assertThrows(
                                IllegalArgumentException.class,
                                () -> RewardConfig.parse(
                                        json("{\"p\": {\"type\": \"progress\", \"alpha\": -1}}"), "rewards"))
                        .getMessage())
                .startsWith("rewards.p.alpha: expected a finite number >= 0");
        assertThat(assertThrows(
                                IllegalArgumentException.class,
                                () -> RewardConfig.parse(
                                        json("{\"o\": {\"type\": \"overlong\", \"max_tokens\": 10}}"), "rewards"))
                        .getMessage())
                .isEqualTo("rewards.o.buffer: missing; expected a number");
        assertThat(assertThrows(
                                IllegalArgumentException.class,
                                () -> RewardConfig.parse(
                                        json("{\"c\": {\"type\": \"correctness\", \"turns\": [0]}}"), "rewards"))
                        .getMessage())
                .startsWith("rewards.c.turns:");
    }
}
