package dev.revise.rl.rollout;

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
 */
public record Rollout(
        Trajectory trajectory,
        int sample,
        int[] tokens,
        int[] turnOfToken,
        float[] sampleLogProbs,
        RewardBreakdown rewards,
        int rerenderMismatches) {
    public Rollout(
            Trajectory trajectory,
            int sample,
            int[] tokens,
            int[] turnOfToken,
            float[] sampleLogProbs,
            RewardBreakdown rewards) {
        this(trajectory, sample, tokens, turnOfToken, sampleLogProbs, rewards, 0);
    }

    public Rollout {
        if (tokens.length != turnOfToken.length || tokens.length != sampleLogProbs.length) {
            throw new IllegalArgumentException("rollout arrays differ in length: " + tokens.length + ", "
                    + turnOfToken.length + ", " + sampleLogProbs.length);
        }
    }

    /** The same rollout re-scored by another reward function (rewards are pure functions of the trajectory). */
    public Rollout withRewards(RewardBreakdown newRewards) {
        return new Rollout(trajectory, sample, tokens, turnOfToken, sampleLogProbs, newRewards, rerenderMismatches);
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
