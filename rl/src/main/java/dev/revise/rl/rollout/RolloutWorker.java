package dev.revise.rl.rollout;

import dev.revise.rl.Completion;
import dev.revise.rl.ConversationCodec;
import dev.revise.rl.DecodeSession;
import dev.revise.rl.Environment;
import dev.revise.rl.Episode;
import dev.revise.rl.FinishReason;
import dev.revise.rl.Generator;
import dev.revise.rl.Message;
import dev.revise.rl.PrefillStats;
import dev.revise.rl.Prompt;
import dev.revise.rl.RewardFunction;
import dev.revise.rl.Role;
import dev.revise.rl.Task;
import dev.revise.rl.Trajectory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs attempt-then-correct episodes: all open episodes advance one turn at a time, each turn
 * sampled in batches, then verified by the environment, until every episode is done; finished
 * trajectories are scored by the reward function.
 *
 * <p>Token bookkeeping: the training sequence of an episode is built by appending, never by
 * re-tokenizing the conversation, so the sampled token ids (and their log-probs) are kept exactly.
 * After an attempt, the context grows by the chat format's rendering of only what follows the
 * attempt: the close of the assistant turn, the new messages (feedback) and the next generation
 * prompt. That text is found by rendering the conversation with the attempt's content replaced by
 * a sentinel and taking what follows the sentinel, so a template that rewrites earlier turns
 * (Qwen3 drops earlier {@code <think>} blocks) never changes tokens already sampled; its tokens are
 * appended as not-generated (-1). Turns where a full re-render would have differed from the
 * appended context are counted ({@link Rollout#rerenderMismatches()}).
 *
 * <p>A sliding window over attempts ({@code env.window}) drops earlier attempts from a turn's
 * conversation, so that context is not an extension of the previous one: the turn starts a token
 * row of its own, the windowed conversation rendered and encoded, then its attempt ({@link
 * Rollout#rowStarts()}). Each generated token is in exactly one row, the one it was sampled in.
 *
 * <p>Sampling: when the generator has a {@link DecodeSession} and reuse is on, every episode is
 * a sequence of it, continuously batched: an episode whose attempt stops is verified at once and
 * its next turn joins the batch, continuing from its own KV cache (only the feedback and the new
 * attempt are computed), and the G samples of a task share one prefill of its prompt. Without
 * (reuse off, or a generator without sessions), all open episodes advance one turn at a time in
 * padded batches of {@code maxBatch}, each turn's context prefilled in full. Both give the same
 * rollouts for the same seeds up to float rounding; {@link Rollout#prefill()} says how the context
 * tokens were obtained.
 *
 * <p>Plain Java and single-threaded: a local source runs one per thread, a Ray actor holds one.
 */
public final class RolloutWorker {
    private final Environment environment;
    private final Generator generator;
    private final ConversationCodec codec;
    private final RewardFunction rewards;
    private final int maxBatch;
    private final boolean reuse;
    private final AttemptOverride override;

    /**
     * @param maxBatch the largest number of sequences sampled in one generator call (bounds the KV
     *     cache memory)
     */
    public RolloutWorker(
            Environment environment,
            Generator generator,
            ConversationCodec codec,
            RewardFunction rewards,
            int maxBatch) {
        this(environment, generator, codec, rewards, maxBatch, true);
    }

    /**
     * @param reuse sample through the generator's decode session when it has one (continuous
     *     batching, shared prompt prefills, KV reuse across turns); false: turn by turn, each
     *     context prefilled in full
     */
    public RolloutWorker(
            Environment environment,
            Generator generator,
            ConversationCodec codec,
            RewardFunction rewards,
            int maxBatch,
            boolean reuse) {
        this(environment, generator, codec, rewards, maxBatch, reuse, AttemptOverride.NONE);
    }

    /** @param override what replaces sampled attempts (evaluation's probes); {@link AttemptOverride#NONE} */
    public RolloutWorker(
            Environment environment,
            Generator generator,
            ConversationCodec codec,
            RewardFunction rewards,
            int maxBatch,
            boolean reuse,
            AttemptOverride override) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be >= 1, got " + maxBatch);
        }
        this.environment = environment;
        this.generator = generator;
        this.codec = codec;
        this.rewards = rewards;
        this.maxBatch = maxBatch;
        this.reuse = reuse;
        this.override = override;
    }

    /** Stands for an attempt's content while finding the text a template renders after it. */
    static final String SENTINEL = "\u2063revise-attempt-7f3a9c\u2063";

    /** One episode in progress and its token sequence. */
    private final class Running {
        final Task task;
        final int sample;
        final Episode episode;
        final IntBuffer tokens = new IntBuffer();
        final IntBuffer turns = new IntBuffer();
        final FloatBuffer logProbs = new FloatBuffer();
        final IntBuffer rowStarts = new IntBuffer();
        String rendered; // the context as text: what the template rendered, then only appended to
        int rerenderMismatches;
        PrefillStats prefill = PrefillStats.NONE;

        Running(Task task, int sample, long seed) {
            this.task = task;
            this.sample = sample;
            this.episode = environment.start(task, seed);
            this.rendered = codec.render(episode.conversation());
            rowStarts.add(0);
            appendContext(codec.tokenizer().encode(rendered));
        }

        /** The current row: what the policy sees for the next attempt. */
        int[] context() {
            return tokens.range(rowStarts.last(), tokens.size());
        }

        void appendContext(int[] ids) {
            for (int id : ids) {
                tokens.add(id);
                turns.add(-1);
                logProbs.add(0f);
            }
        }

        void appendAttempt(Completion c, int turn) {
            for (int i = 0; i < c.length(); i++) {
                tokens.add(c.tokenIds()[i]);
                turns.add(turn);
                logProbs.add(c.logProbs()[i]);
            }
        }
    }

    /** Runs every (task, sample) episode of the request to completion. */
    public List<Rollout> run(RolloutRequest request, long policyVersion) {
        return run(request, policyVersion, () -> {});
    }

    /** As {@link #run(RolloutRequest, long)}, calling {@code episodeDone} as each episode ends (progress displays). */
    public List<Rollout> run(RolloutRequest request, long policyVersion, Runnable episodeDone) {
        List<Running> all = new ArrayList<>();
        for (Task task : request.tasks()) {
            for (int g = 0; g < request.groupSize(); g++) {
                all.add(new Running(task, g, Seeds.derive(request.rootSeed(), request.iteration(), task.id(), g, -1)));
            }
        }
        DecodeSession session =
                reuse ? generator.openSession(Math.min(maxBatch, all.size()), request.sampling()) : null;
        if (session == null) {
            turnByTurn(all, request, episodeDone);
        } else {
            try (session) {
                continuous(all, request, session, episodeDone);
            }
        }
        List<Rollout> out = new ArrayList<>(all.size());
        for (Running r : all) {
            Trajectory t = r.episode.trajectory(r.task.id() + "@" + request.iteration(), policyVersion);
            out.add(new Rollout(
                    t,
                    r.sample,
                    r.tokens.toArray(),
                    r.turns.toArray(),
                    r.logProbs.toArray(),
                    rewards.score(t),
                    r.rerenderMismatches,
                    r.rowStarts.toArray(),
                    r.prefill));
        }
        return out;
    }

    /** Every open episode advances one turn, in padded batches of {@code maxBatch}. */
    private void turnByTurn(List<Running> all, RolloutRequest request, Runnable episodeDone) {
        while (true) {
            List<Running> open = all.stream().filter(r -> !r.episode.isDone()).toList();
            if (open.isEmpty()) {
                return;
            }
            for (int from = 0; from < open.size(); from += maxBatch) {
                List<Running> chunk = open.subList(from, Math.min(open.size(), from + maxBatch));
                List<Prompt> prompts = new ArrayList<>(chunk.size());
                for (Running r : chunk) {
                    prompts.add(prompt(r, request));
                    r.prefill = r.prefill.plus(new PrefillStats(r.context().length, 0, 0, 0));
                }
                List<Completion> completions = generator.generate(prompts, request.sampling());
                for (int i = 0; i < chunk.size(); i++) {
                    advance(chunk.get(i), completions.get(i));
                    if (chunk.get(i).episode.isDone()) {
                        episodeDone.run();
                    }
                }
            }
        }
    }

    /** Each episode a sequence of the session: its next turn is submitted as soon as its attempt is verified. */
    private void continuous(List<Running> all, RolloutRequest request, DecodeSession session, Runnable episodeDone) {
        for (int i = 0; i < all.size(); i++) {
            session.submit(i, prompt(all.get(i), request));
        }
        for (List<DecodeSession.Finished> done = session.next(); !done.isEmpty(); done = session.next()) {
            for (DecodeSession.Finished f : done) {
                Running r = all.get((int) f.key());
                r.prefill = r.prefill.plus(f.prefill());
                advance(r, f.completion());
                if (r.episode.isDone()) {
                    session.release(f.key());
                    episodeDone.run();
                } else {
                    session.submit(f.key(), prompt(r, request));
                }
            }
        }
    }

    private Prompt prompt(Running r, RolloutRequest request) {
        int turn = r.episode.turns().size();
        return new Prompt(
                r.context(), Seeds.derive(request.rootSeed(), request.iteration(), r.task.id(), r.sample, turn));
    }

    private void advance(Running r, Completion sampled) {
        int turn = r.episode.turns().size();
        Completion c = fitted(override.apply(r.task, r.sample, turn, sampled), environment.maxCharsPerTurn());
        r.episode.respond(c);
        r.appendAttempt(c, turn);
        if (r.episode.isDone()) {
            return;
        }
        List<Message> conversation = r.episode.conversation();
        if (attempts(conversation) != turn + 1) {
            // the window dropped an earlier attempt: the next turn's context is a new row
            r.rendered = codec.render(conversation);
            r.rowStarts.add(r.tokens.size());
            r.appendContext(codec.tokenizer().encode(r.rendered));
            return;
        }
        String delta = continuation(conversation, r.task.id(), turn);
        String context = r.rendered + c.text() + delta;
        if (!codec.render(conversation).equals(context)) {
            r.rerenderMismatches++;
        }
        // Text the sampled tokens already hold beyond the attempt text (a stop token such as
        // <|im_end|>, or a stop string): the template's continuation repeats it, so it is not appended twice.
        String generated = codec.tokenizer().decode(c.tokenIds(), false);
        if (generated.startsWith(c.text())) {
            String extra = generated.substring(c.text().length());
            if (!extra.isEmpty() && delta.startsWith(extra)) {
                delta = delta.substring(extra.length());
            }
        }
        r.appendContext(codec.tokenizer().encode(delta));
        r.rendered = context;
    }

    /**
     * The completion cut to the longest token prefix whose text has at most {@code maxChars}
     * characters (0: as it is). Before, the environment graded the cut text while every sampled
     * token was trained, including those it never saw.
     */
    Completion fitted(Completion c, int maxChars) {
        if (maxChars <= 0 || c.text().length() <= maxChars) {
            return c;
        }
        int lo = 0;
        int hi = c.length(); // the longest prefix of lo tokens fits; hi tokens do not
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (codec.tokenizer().decode(Arrays.copyOf(c.tokenIds(), mid), true).length() <= maxChars) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        int[] ids = Arrays.copyOf(c.tokenIds(), lo);
        return new Completion(
                codec.tokenizer().decode(ids, true), ids, Arrays.copyOf(c.logProbs(), lo), FinishReason.LENGTH);
    }

    /**
     * What the chat format renders after the content of the conversation's last assistant message:
     * its close, the messages after it and the generation prompt.
     */
    private String continuation(List<Message> conversation, String taskId, int turn) {
        int last = -1;
        for (int i = 0; i < conversation.size(); i++) {
            if (conversation.get(i).role() == Role.ASSISTANT) {
                last = i;
            }
        }
        if (last < 0) {
            throw new IllegalStateException("task '" + taskId + "': no assistant message after turn " + turn);
        }
        List<Message> probe = new ArrayList<>(conversation);
        probe.set(last, Message.assistant(SENTINEL));
        String text = codec.render(probe);
        int at = text.indexOf(SENTINEL);
        if (at < 0 || at != text.lastIndexOf(SENTINEL)) {
            throw new IllegalStateException("task '" + taskId + "', turn " + turn + ": the chat format does not"
                    + " render the attempt's content verbatim exactly once, so the text that follows it cannot be"
                    + " found");
        }
        return text.substring(at + SENTINEL.length());
    }

    private static int attempts(List<Message> conversation) {
        int n = 0;
        for (Message m : conversation) {
            n += m.role() == Role.ASSISTANT ? 1 : 0;
        }
        return n;
    }

    /** A growable float array. */
    static final class FloatBuffer {
        private float[] data = new float[64];
        private int size;

        void add(float v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, size * 2);
            }
            data[size++] = v;
        }

        float[] toArray() {
            return Arrays.copyOf(data, size);
        }
    }

    /** A growable int array (avoids boxing every token). */
    static final class IntBuffer {
        private int[] data = new int[64];
        private int size;

        void add(int v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, size * 2);
            }
            data[size++] = v;
        }

        int[] toArray() {
            return Arrays.copyOf(data, size);
        }

        int size() {
            return size;
        }

        int[] range(int from, int to) {
            return Arrays.copyOfRange(data, from, to);
        }

        int last() {
            return data[size - 1];
        }
    }
}
