package dev.revise.rl;

/**
 * One sequence to continue, with its own sampling seed so that its result never depends on what
 * else shares the batch.
 *
 * @param tokenIds the prompt's token ids (not copied: treat as immutable)
 * @param seed the seed of this row's random stream
 */
public record Prompt(int[] tokenIds, long seed) {
    public Prompt {
        if (tokenIds == null || tokenIds.length == 0) {
            throw new IllegalArgumentException("a prompt needs at least one token id");
        }
    }
}
