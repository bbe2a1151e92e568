package dev.revise.rl.rollout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.revise.rl.Completion;
import dev.revise.rl.ConversationCodec;
import dev.revise.rl.Environment;
import dev.revise.rl.Episode;
import dev.revise.rl.Feedback;
import dev.revise.rl.FinishReason;
import dev.revise.rl.Generator;
import dev.revise.rl.Message;
import dev.revise.rl.Prompt;
import dev.revise.rl.RewardBreakdown;
import dev.revise.rl.RewardFunction;
import dev.revise.rl.Role;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.Task;
import dev.revise.rl.TextTokenizer;
import dev.revise.rl.Trajectory;
import dev.revise.rl.Turn;
import dev.revise.rl.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class RolloutWorkerTest {
    /** One token per char (code point), '#' (id 35) as a special end token decoded only with specials. */
    static final TextTokenizer CHARS = new TextTokenizer() {
        @Override
        public int[] encode(String text) {
            return text.codePoints().toArray();
        }

        @Override
        public String decode(int[] ids, boolean skipSpecial) {
            StringBuilder sb = new StringBuilder();
            for (int id : ids) {
                if (!(skipSpecial && id == '#')) {
                    sb.appendCodePoint(id);
                }
            }
            return sb.toString();
        }

        @Override
        public int vocabSize() {
            return 128;
        }

        @Override
        public OptionalInt bosId() {
            return OptionalInt.empty();
        }

        @Override
        public OptionalInt eosId() {
            return OptionalInt.of('#');
        }

        @Override
        public OptionalInt tokenId(String token) {
            return OptionalInt.empty();
        }
    };

    static ConversationCodec codec(Function<List<Message>, String> render) {
        return new ConversationCodec() {
            @Override
            public TextTokenizer tokenizer() {
                return CHARS;
            }

            @Override
            public String render(List<Message> conversation) {
                return render.apply(conversation);
            }
        };
    }

    static final ConversationCodec PLAIN =
            codec(c -> String.join("", c.stream().map(Message::content).toList()));

    /** A ChatML-like format: every message ends with '#', assistant messages start with a '>' header. */
    static final ConversationCodec TAGGED = codec(c -> {
        StringBuilder sb = new StringBuilder();
        for (Message m : c) {
            sb.append(m.role() == dev.revise.rl.Role.ASSISTANT ? ">" : "")
                    .append(m.content())
                    .append('#');
        }
        return sb.append('>').toString();
    });

    /** Writes a digit drawn from the prompt's seed, then the end token '#'. */
    static final Generator DIGITS = (prompts, params) -> {
        List<Completion> out = new ArrayList<>();
        for (Prompt p : prompts) {
            int d = new SplittableRandom(p.seed()).nextInt(10);
            out.add(new Completion(
                    Integer.toString(d),
                    new int[] {'0' + d, '#'},
                    new float[] {-0.5f, -0.1f},
                    FinishReason.STOP_TOKEN));
        }
        return out;
    };

    /** Two attempts with the fixed instruction '|'; correct iff the digit equals the answer. */
    static final Environment TWO_TURNS = (task, seed) -> new Episode() {
        final List<Turn> turns = new ArrayList<>();

        @Override
        public Task task() {
            return task;
        }

        @Override
        public List<Message> conversation() {
            List<Message> c = new ArrayList<>(List.of(Message.user(task.prompt())));
            for (Turn t : turns) {
                c.add(Message.assistant(t.completion().text()));
                c.add(Message.user(t.feedback().message()));
            }
            return c;
        }

        @Override
        public Feedback respond(Completion completion) {
            Verdict v = completion.text().equals(task.answer())
                    ? Verdict.correct(completion.text(), "equal")
                    : Verdict.incorrect(completion.text(), 0, "differs");
            Feedback f = turns.size() == 1 ? Feedback.end() : Feedback.retry("|");
            turns.add(new Turn(turns.size(), conversation(), completion, v, f));
            return f;
        }

        @Override
        public boolean isDone() {
            return turns.size() == 2;
        }

        @Override
        public List<Turn> turns() {
            return turns;
        }

        @Override
        public Trajectory trajectory(String groupId, long policyVersion) {
            return new Trajectory(task.id(), groupId, turns, policyVersion, seed);
        }
    };

    static final RewardFunction PER_TURN_CORRECT = t -> {
        double[] r = new double[t.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = t.turn(i).verdict().binary();
        }
        return new RewardBreakdown(r, Map.of("correct", r));
    };

    static final List<Task> TASKS =
            List.of(new Task("a", "Q1:", "1"), new Task("b", "Q2:", "2"), new Task("c", "Q3:", "3"));

    @Test
    void tokensMasksAndLogProbsOfATwoTurnEpisode() {
        RolloutWorker w = new RolloutWorker(TWO_TURNS, DIGITS, PLAIN, PER_TURN_CORRECT, 8);
        List<Rollout> out = w.run(new RolloutRequest(TASKS, 2, 42, 0, SamplingParams.sample(4)), 7);
        assertEquals(6, out.size());
        Rollout r = out.get(0);
        String d1 = r.trajectory().turn(0).completion().text();
        String d2 = r.trajectory().turn(1).completion().text();
        // Q1: | d1 # | '|' | d2 #
        assertEquals("Q1:" + d1 + "#|" + d2 + "#", CHARS.decode(r.tokens(), false));
        assertArrayEquals(new int[] {-1, -1, -1, 0, 0, -1, 1, 1}, r.turnOfToken());
        assertArrayEquals(new float[] {0, 0, 0, -0.5f, -0.1f, 0, -0.5f, -0.1f}, r.sampleLogProbs());
        assertEquals(7, r.trajectory().policyVersion());
        assertEquals("a@0", r.trajectory().groupId());
        assertEquals(r.trajectory().turn(1).verdict().binary(), r.rewards().turn(1));
    }

    /** Three attempts; the conversation keeps only the last attempt (a window of 1). */
    static final Environment WINDOW_OF_ONE = (task, seed) -> new Episode() {
        final List<Turn> turns = new ArrayList<>();

        @Override
        public Task task() {
            return task;
        }

        @Override
        public List<Message> conversation() {
            List<Message> c = new ArrayList<>(List.of(Message.user(task.prompt())));
            if (!turns.isEmpty()) {
                Turn t = turns.get(turns.size() - 1);
                c.add(Message.assistant(t.completion().text()));
                c.add(Message.user(t.feedback().message()));
            }
            return c;
        }

        @Override
        public Feedback respond(Completion completion) {
            Verdict v = Verdict.incorrect(completion.text(), 0, "differs");
            Feedback f = turns.size() == 2 ? Feedback.end() : Feedback.retry("|");
            turns.add(new Turn(turns.size(), conversation(), completion, v, f));
            return f;
        }

        @Override
        public boolean isDone() {
            return turns.size() == 3;
        }

        @Override
        public List<Turn> turns() {
            return turns;
        }

        @Override
        public Trajectory trajectory(String groupId, long policyVersion) {
            return new Trajectory(task.id(), groupId, turns, policyVersion, seed);
        }
    };

    /** Before: a window made the worker throw; now a turn whose context dropped an attempt is a new row. */
    @Test
    void aSlidingWindowGivesATurnARowOfItsOwn() {
        List<String> seen = new ArrayList<>();
        Generator recording = (prompts, params) -> {
            for (Prompt p : prompts) {
                seen.add(CHARS.decode(p.tokenIds(), false));
            }
            return DIGITS.generate(prompts, params);
        };
        Rollout r = new RolloutWorker(WINDOW_OF_ONE, recording, PLAIN, PER_TURN_CORRECT, 8)
                .run(new RolloutRequest(TASKS.subList(0, 1), 1, 3, 0, SamplingParams.sample(4)), 0)
                .get(0);
        String d1 = r.trajectory().turn(0).completion().text();
        String d2 = r.trajectory().turn(1).completion().text();
        String d3 = r.trajectory().turn(2).completion().text();
        assertEquals(2, r.rows());
        // turn 2's conversation still holds every attempt: appended; turn 3's dropped attempt 1: a new row
        assertEquals(
                "Q1:" + d1 + "#|" + d2 + "#",
                CHARS.decode(java.util.Arrays.copyOfRange(r.tokens(), 0, r.rowEnd(0)), false));
        assertEquals(
                "Q1:" + d2 + "|" + d3 + "#",
                CHARS.decode(java.util.Arrays.copyOfRange(r.tokens(), r.rowStart(1), r.rowEnd(1)), false));
        assertEquals(List.of("Q1:", "Q1:" + d1 + "#|", "Q1:" + d2 + "|"), seen, "what the policy saw each turn");
        assertEquals("Q1:" + d2 + "|", CHARS.decode(r.contextOf(2), false));
        for (int turn = 0; turn < 3; turn++) {
            assertEquals(2, r.generatedTokens(turn), "each attempt's tokens are trained once, in their own row");
        }
    }

    /** Before: the environment graded the first max_chars_per_turn characters while every token trained. */
    @Test
    void anAttemptCutToMaxCharsIsCutInItsTokensToo() {
        Generator longAnswer = (prompts, params) -> prompts.stream()
                .map(p -> new Completion(
                        "12345",
                        new int[] {'1', '2', '3', '4', '5', '#'},
                        new float[] {-1, -2, -3, -4, -5, -6},
                        FinishReason.STOP_TOKEN))
                .toList();
        Environment cut = new Environment() {
            @Override
            public Episode start(Task task, long seed) {
                return TWO_TURNS.start(task, seed);
            }

            @Override
            public int maxCharsPerTurn() {
                return 3;
            }
        };
        Rollout r = new RolloutWorker(cut, longAnswer, PLAIN, PER_TURN_CORRECT, 8)
                .run(new RolloutRequest(TASKS.subList(0, 1), 1, 1, 0, SamplingParams.sample(8)), 0)
                .get(0);
        Completion graded = r.trajectory().turn(0).completion();
        assertEquals("123", graded.text());
        assertArrayEquals(new int[] {'1', '2', '3'}, graded.tokenIds());
        assertEquals(FinishReason.LENGTH, graded.finishReason());
        assertEquals("Q1:123|123", CHARS.decode(r.tokens(), false));
        assertEquals(3, r.generatedTokens(0), "only the graded tokens are trained");
        assertArrayEquals(new float[] {0, 0, 0, -1, -2, -3, 0, -1, -2, -3}, r.sampleLogProbs());
    }

    @Test
    void theFormatsRepeatedEndTokenIsNotAppendedTwice() {
        RolloutWorker w = new RolloutWorker(TWO_TURNS, DIGITS, TAGGED, PER_TURN_CORRECT, 8);
        Rollout r = w.run(new RolloutRequest(TASKS.subList(0, 1), 1, 1, 0, SamplingParams.sample(4)), 0)
                .get(0);
        String d1 = r.trajectory().turn(0).completion().text();
        String d2 = r.trajectory().turn(1).completion().text();
        assertEquals("Q1:#>" + d1 + "#|#>" + d2 + "#", CHARS.decode(r.tokens(), false));
    }

    @Test
    void resultsDoNotDependOnBatchingAndSeedsDifferPerSampleAndTurn() {
        RolloutRequest req = new RolloutRequest(TASKS, 4, 9, 3, SamplingParams.sample(4));
        List<Rollout> a = new RolloutWorker(TWO_TURNS, DIGITS, PLAIN, PER_TURN_CORRECT, 1).run(req, 0);
        List<Rollout> b = new RolloutWorker(TWO_TURNS, DIGITS, PLAIN, PER_TURN_CORRECT, 5).run(req, 0);
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).tokens(), b.get(i).tokens(), "rollout " + i);
        }
        assertNotEquals(Seeds.derive(9, 3, "a", 0, 0), Seeds.derive(9, 3, "a", 1, 0));
        assertNotEquals(Seeds.derive(9, 3, "a", 0, 0), Seeds.derive(9, 3, "a", 0, 1));
        assertNotEquals(Seeds.derive(9, 3, "a", 0, 0), Seeds.derive(9, 4, "a", 0, 0));
        assertEquals(Seeds.derive(9, 3, "a", 0, 0), Seeds.derive(9, 3, "a", 0, 0));
    }

    @Test
    void aFormatThatRewritesHistoryKeepsTheSampledTokensAndCountsTheTurn() {
        // like Qwen3's template dropping <think> blocks of earlier turns: once a later message follows,
        // an attempt renders differently; the appended context keeps what the policy saw and sampled
        ConversationCodec rewriting = codec(c -> {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < c.size(); i++) {
                Message m = c.get(i);
                boolean rewritten = m.role() == Role.ASSISTANT
                        && i < c.size() - 1
                        && m.content().matches("\\d+");
                sb.append(rewritten ? "(" + m.content() + ")" : m.content());
            }
            return sb.toString();
        });
        RolloutWorker w = new RolloutWorker(TWO_TURNS, DIGITS, rewriting, PER_TURN_CORRECT, 8);
        Rollout r = w.run(new RolloutRequest(TASKS.subList(0, 1), 1, 1, 0, SamplingParams.sample(4)), 0)
                .get(0);
        String d1 = r.trajectory().turn(0).completion().text();
        String d2 = r.trajectory().turn(1).completion().text();
        assertEquals("Q1:" + d1 + "#|" + d2 + "#", CHARS.decode(r.tokens(), false));
        assertArrayEquals(new int[] {-1, -1, -1, 0, 0, -1, 1, 1}, r.turnOfToken());
        assertEquals(1, r.rerenderMismatches());
        Rollout plain = new RolloutWorker(TWO_TURNS, DIGITS, PLAIN, PER_TURN_CORRECT, 8)
                .run(new RolloutRequest(TASKS.subList(0, 1), 1, 1, 0, SamplingParams.sample(4)), 0)
                .get(0);
        assertEquals(0, plain.rerenderMismatches());
    }

    @Test
    void aFormatThatDoesNotRenderTheAttemptIsRefused() {
        ConversationCodec lastOnly =
                codec(c -> c.size() + ":" + c.get(c.size() - 1).content());
        RolloutWorker w = new RolloutWorker(TWO_TURNS, DIGITS, lastOnly, PER_TURN_CORRECT, 8);
        IllegalStateException e = assertThrows(
                IllegalStateException.class,
                () -> w.run(new RolloutRequest(TASKS, 1, 1, 0, SamplingParams.sample(4)), 0));
        assertEquals(true, e.getMessage().contains("does not render the attempt's content verbatim"));
    }
}
