/**
 * Rollouts: the worker that runs attempt-then-correct episodes in per-turn batches and builds
 * their token sequences by appending, the local multi-threaded source, the rollout request and
 * record, and the hashed seeds that make trajectories independent of scheduling
 * (docs/architecture.md section 3). No DJL engine and no Ray: the Ray source lives in
 * experiments and implements {@link dev.revise.rl.rollout.RolloutSource}.
 */
package dev.revise.rl.rollout;
