package dev.revise.rl.rollout;

import dev.revise.rl.PrefillStats;
import dev.revise.rl.RewardBreakdown;
import dev.revise.rl.Trajectory;

/**
 * One finished episode with everything a learner needs. Arrays compare by reference.
 *
 * @param trajectory the turns with their verdicts and feedback
 * @param sample the sample index within the task's group
 * @param tokens the whole conversation as token ids: prompt, attempt 1, feedback, attempt 2, ...
 * @param turnOfToken per token: the turn whose attempt produced it, or -1 for tokens the policy did
 *     not generate (prompt, instructions, feedback), which are never trained
 * @param sampleLogProbs per token: the sampling log-prob of generated tokens (0 elsewhere): the
 *     "old" log-probs of PPO/GRPO
 * @param rewards per-turn rewards and their named components
 * @param rerenderMismatches the turns after the first whose context, built by appending, differs
 *     from a full re-render of the conversation by the chat template (e.g. Qwen3's template drops
 *     earlier {@code <think>} blocks): the policy was trained on what it saw, which a re-rendering
 *     tool would not reproduce
 * @param rowStarts where each token row starts in the arrays above: {@code {0}} for an episode that
 *     is one sequence; with a sliding window over attempts ({@code env.window}), a turn whose
 *     context dropped earlier attempts starts a row of its own (its context re-rendered, then its
 *     attempt), and the policy is scored on each row separately, as it saw it
 * @param prefill how the contexts of its turns were obtained: computed, reused from the
 *     episode's KV cache of earlier turns, copied from a shared prompt ({@link PrefillStats#NONE}
 *     when unknown)
 */
public record Rollout(
        Trajectory trajectory,
        int sample,
        int[] tokens,
        int[] turnOfToken,
        float[] sampleLogProbs,
        RewardBreakdown rewards,
        int rerenderMismatches,
        int[] rowStarts,
        PrefillStats prefill) {
    public Rollout(
            Trajectory trajectory,
            int sample,
            int[] tokens,
            int[] turnOfToken,
            float[] sampleLogProbs,
            RewardBreakdown rewards,
            int rerenderMismatches,
            int[] rowStarts) {
        this(
                trajectory,
                sample,
                tokens,
                turnOfToken,
                sampleLogProbs,
                rewards,
                rerenderMismatches,
                rowStarts,
                PrefillStats.NONE);
    }

    public Rollout(
            Trajectory trajectory,
            int sample,
            int[] tokens,
            int[] turnOfToken,
            float[] sampleLogProbs,
            RewardBreakdown rewards,
            int rerenderMismatches) {
        this(trajectory, sample, tokens, turnOfToken, sampleLogProbs, rewards, rerenderMismatches, new int[] {0});
    }

    public Rollout(
            Trajectory trajectory,
            int sample,
            int[] tokens,
            int[] turnOfToken,
            float[] sampleLogProbs,
            RewardBreakdown rewards) {
        this(trajectory, sample, tokens, turnOfToken, sampleLogProbs, rewards, 0, new int[] {0});
    }

    public Rollout {
        if (tokens.length != turnOfToken.length || tokens.length != sampleLogProbs.length) {
            throw new IllegalArgumentException("rollout arrays differ in length: " + tokens.length + ", "
                    + turnOfToken.length + ", " + sampleLogProbs.length);
        }
        if (rowStarts == null) {
            rowStarts = new int[] {0};
        }
        if (prefill == null) {
            prefill = PrefillStats.NONE;
        }
        if (rowStarts.length == 0 || rowStarts[0] != 0) {
            throw new IllegalArgumentException("the first token row must start at 0");
        }
        for (int k = 1; k < rowStarts.length; k++) {
            if (rowStarts[k] <= rowStarts[k - 1] || rowStarts[k] >= tokens.length) {
                throw new IllegalArgumentException("token rows must start in increasing order inside the rollout, got "
                        + java.util.Arrays.toString(rowStarts) + " for " + tokens.length + " tokens");
            }
        }
    }

    /** The same rollout re-scored by another reward function (rewards are pure functions of the trajectory). */
    public Rollout withRewards(RewardBreakdown newRewards) {
        return new Rollout(
                trajectory,
                sample,
                tokens,
                turnOfToken,
                sampleLogProbs,
                newRewards,
                rerenderMismatches,
                rowStarts,
                prefill);
    }

    /** Number of token rows (1 unless a sliding window re-rendered a turn's context). */
    public int rows() {
        return rowStarts.length;
    }

    public int rowStart(int row) {
        return rowStarts[row];
    }

    public int rowEnd(int row) {
        return row + 1 < rowStarts.length ? rowStarts[row + 1] : tokens.length;
    }

    /** The row holding position {@code position} of the arrays. */
    public int rowOf(int position) {
        int row = 0;
        while (row + 1 < rowStarts.length && rowStarts[row + 1] <= position) {
            row++;
        }
        return row;
    }

    /** What the policy saw before generating turn {@code turn}: its row's tokens up to the turn's first token. */
    public int[] contextOf(int turn) {
        for (int i = 0; i < turnOfToken.length; i++) {
            if (turnOfToken[i] == turn) {
                return java.util.Arrays.copyOfRange(tokens, rowStart(rowOf(i)), i);
            }
        }
        throw new IllegalStateException("rollout of task '" + trajectory.taskId() + "' has no tokens for turn " + turn);
    }

    /** Number of tokens the policy generated in {@code turn}. */
    public int generatedTokens(int turn) {
        int n = 0;
        for (int t : turnOfToken) {
            if (t == turn) {
                n++;
            }
        }
        return n;
    }
}
