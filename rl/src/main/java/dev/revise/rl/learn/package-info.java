/**
 * The algorithms: one file per learner (the update of a batch: GRPO and its RLOO/REINFORCE modes,
 * PPO with its value head, SFT) and per trainer (an algorithm's outer loop: on-policy RL, SCoRe,
 * RISE, SFT, Pair-SFT/STaR), their optimizer configuration, learner state for checkpoints and the
 * metric names they log. Each class Javadoc states its objective (docs/algorithms.md collects them
 * with their config keys). Uses the rest of {@code rl}; wired to configs only by experiments.
 */
package dev.revise.rl.learn;
