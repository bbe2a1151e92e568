package dev.revise.envs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.revise.rl.Completion;
import dev.revise.rl.Episode;
import dev.revise.rl.Feedback;
import dev.revise.rl.FinishReason;
import dev.revise.rl.Message;
import dev.revise.rl.Role;
import dev.revise.rl.Task;
import dev.revise.rl.Trajectory;
import dev.revise.rl.Verdict;
import dev.revise.rl.Verifier;
import java.util.List;
import org.junit.jupiter.api.Test;

class SelfCorrectionEnvironmentTest {
    static final Task TASK = new Task("t1", "2+2?", "4");
    /** Correct iff the attempt is exactly the answer; the reason names what was seen. */
    static final Verifier EXACT = (task, response) -> response.equals(task.answer())
            ? Verdict.correct(response, "equal")
            : Verdict.incorrect(response, 0, "got " + response);

    static Completion attempt(String text) {
        return new Completion(text, new int[text.length()], new float[text.length()], FinishReason.STOP_TOKEN);
    }

    static EnvironmentConfig config(int turns, FeedbackMode mode) {
        return new EnvironmentConfig(
                turns, "Solve: {prompt}", mode, "Check and rewrite.", "Wrong, again.", "Wrong: {reason}.", 0, 0, 64);
    }

    @Test
    void intrinsicInstructionIsTheSameWhetherRightOrWrong() {
        SelfCorrectionEnvironment env = new SelfCorrectionEnvironment(config(2, FeedbackMode.INTRINSIC), EXACT);
        Episode right = env.start(TASK, 1);
        Episode wrong = env.start(TASK, 2);
        Feedback f1 = right.respond(attempt("4"));
        Feedback f2 = wrong.respond(attempt("5"));
        assertEquals(f1, f2, "intrinsic feedback leaked correctness");
        assertEquals(right.conversation().get(2), wrong.conversation().get(2));
        assertFalse(right.isDone(), "intrinsic mode must not stop at a correct first attempt");
        right.respond(attempt("4"));
        assertTrue(right.isDone());
        Trajectory t = right.trajectory("g", 3);
        assertEquals(2, t.size());
        assertTrue(t.turn(0).verdict().correct());
        assertEquals(3, t.policyVersion());
        assertEquals(1, t.seed());
    }

    @Test
    void conversationAlternatesAttemptsAndFeedback() {
        Episode e = new SelfCorrectionEnvironment(config(3, FeedbackMode.INTRINSIC), EXACT).start(TASK, 1);
        assertEquals(List.of(Message.user("Solve: 2+2?")), e.conversation());
        e.respond(attempt("5"));
        e.respond(attempt("6"));
        List<Message> c = e.conversation();
        assertEquals(5, c.size());
        assertEquals(
                List.of(Role.USER, Role.ASSISTANT, Role.USER, Role.ASSISTANT, Role.USER),
                c.stream().map(Message::role).toList());
        assertEquals("6", c.get(3).content());
        assertEquals("Check and rewrite.", c.get(4).content());
        // each turn records the prompt it was answered from
        assertEquals(3, e.turns().get(1).prompt().size());
    }

    @Test
    void oracleStopsAtTheFirstCorrectAttempt() {
        Episode e = new SelfCorrectionEnvironment(config(5, FeedbackMode.ORACLE), EXACT).start(TASK, 1);
        assertEquals("Wrong, again.", e.respond(attempt("5")).message());
        Feedback f = e.respond(attempt("4"));
        assertTrue(f.done());
        assertTrue(e.isDone());
        assertEquals(2, e.turns().size());
        assertThrows(IllegalStateException.class, () -> e.respond(attempt("4")));
    }

    @Test
    void oracleAlwaysRetryNeverStopsEarlyAndAlwaysSaysIncorrect() {
        Episode e = new SelfCorrectionEnvironment(config(3, FeedbackMode.ORACLE_ALWAYS_RETRY), EXACT).start(TASK, 1);
        assertEquals("Wrong, again.", e.respond(attempt("4")).message());
        assertEquals("Wrong, again.", e.respond(attempt("4")).message());
        assertTrue(e.respond(attempt("4")).done());
        assertEquals(3, e.turns().size());
    }

    @Test
    void hintShowsTheVerifiersReason() {
        Episode e = new SelfCorrectionEnvironment(config(3, FeedbackMode.HINT), EXACT).start(TASK, 1);
        assertEquals("Wrong: got 7.", e.respond(attempt("7")).message());
        assertTrue(e.respond(attempt("4")).done());
    }

    @Test
    void slidingWindowKeepsTheLastAttemptsAndTheQuestion() {
        Episode e = new SelfCorrectionEnvironment(config(5, FeedbackMode.ORACLE).withWindow(2), EXACT).start(TASK, 1);
        e.respond(attempt("5"));
        e.respond(attempt("6"));
        e.respond(attempt("7"));
        List<Message> c = e.conversation();
        assertEquals(5, c.size());
        assertEquals("Solve: 2+2?", c.get(0).content());
        assertEquals("6", c.get(1).content());
        assertEquals("7", c.get(3).content());
    }

    @Test
    void characterBudgetCutsAttemptsBeforeVerification() {
        Episode e = new SelfCorrectionEnvironment(
                        config(1, FeedbackMode.INTRINSIC).withMaxCharsPerTurn(1), EXACT)
                .start(TASK, 1);
        e.respond(attempt("4444"));
        assertTrue(e.turns().get(0).verdict().correct(), "the verdict must judge the cut attempt");
    }

    @Test
    void trajectoryBeforeTheEndAndBadConfigsAreRefused() {
        Episode e = new SelfCorrectionEnvironment(config(2, FeedbackMode.INTRINSIC), EXACT).start(TASK, 1);
        assertThrows(IllegalStateException.class, () -> e.trajectory("g", 0));
        IllegalArgumentException bad = assertThrows(
                IllegalArgumentException.class,
                () -> new EnvironmentConfig(0, "{prompt}", FeedbackMode.ORACLE, "", "", "{reason}", 0, 0, 8));
        assertThat(bad.getMessage()).contains("env.turns");
        assertThat(assertThrows(IllegalArgumentException.class, () -> config(2, FeedbackMode.ORACLE)
                                .withWindow(-1))
                        .getMessage())
                .contains("env.window");
        assertEquals(FeedbackMode.ORACLE_ALWAYS_RETRY, FeedbackMode.parse("oracle-always-retry"));
        assertThat(assertThrows(IllegalArgumentException.class, () -> FeedbackMode.parse("oracel"))
                        .getMessage())
                .contains("oracle-always-retry");
    }
}
