package dev.revise.rl;

import java.util.List;

/**
 * Continuous batching with a KV cache that outlives one call: sequences are submitted by key, up
 * to {@code slots} of them decode together, and a sequence that stops frees its place for a
 * waiting one at the next step instead of padding until the longest row ends.
 *
 * <p>Work is never repeated: a key submitted again (the next turn of an episode) continues from
 * the cache of what it already holds, computing only the tokens its new prompt adds beyond the
 * longest common prefix with them; a new key whose prompt shares a prefix with a sequence in the
 * cache (the G samples of one task) copies that prefix's keys and values instead of recomputing
 * them. Results are those of {@link Generator#generate} for the same prompts and seeds, up to
 * float rounding: each row's tokens depend only on its prompt, its seed and the sampling
 * parameters, never on what else is decoding or on when it was admitted.
 *
 * <p>Single-threaded; lives from {@link Generator#openSession} to {@link #close}, which frees the
 * cache.
 */
public interface DecodeSession extends AutoCloseable {
    /**
     * Queues the next prompt of sequence {@code key}. A key may have at most one prompt queued or
     * decoding. After it finished, it keeps its cache until {@link #release}, its next submit, or
     * until a new sequence needs its slot and none is free (the least recently finished goes
     * first; a key submitted after that starts from what other slots share with its prompt).
     */
    void submit(long key, Prompt prompt);

    /**
     * Decodes until at least one sequence finishes and returns the finished ones, in the order
     * they were submitted; empty when nothing is queued or decoding.
     */
    List<Finished> next();

    /** Frees {@code key}'s cache (it may not be submitted again). */
    void release(long key);

    /** What the cache saved so far over the session. */
    PrefillStats stats();

    @Override
    void close();

    /**
     * A sequence that stopped, its completion, and how its prompt's context was obtained for this
     * turn.
     */
    record Finished(long key, Completion completion, PrefillStats prefill) {}
}
