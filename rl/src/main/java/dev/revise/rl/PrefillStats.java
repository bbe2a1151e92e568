package dev.revise.rl;

/**
 * How the context tokens of sampling calls were obtained: computed by a prefill, reused from the
 * sequence's own KV cache (an earlier turn), or copied from another sequence's cache (a shared
 * prompt).
 *
 * @param computed context tokens run through the model
 * @param reused context tokens whose keys and values an earlier turn of the same sequence left in
 *     the cache
 * @param shared context tokens copied from another sequence's cache
 * @param fallbacks turns whose context was not an extension of what the sequence's cache held (a
 *     window over attempts, a chat template that rewrites earlier turns), so only the common
 *     prefix was reused
 */
public record PrefillStats(long computed, long reused, long shared, long fallbacks) {
    public static final PrefillStats NONE = new PrefillStats(0, 0, 0, 0);

    public PrefillStats plus(PrefillStats o) {
        return new PrefillStats(computed + o.computed, reused + o.reused, shared + o.shared, fallbacks + o.fallbacks);
    }

    /** Context tokens over all calls. */
    public long total() {
        return computed + reused + shared;
    }
}
