/**
 * One training run: the wiring of a config's algorithm to its {@code rl.learn} trainer and
 * learners, the policy and reference, rollout backends (local threads or Ray), held-out
 * evaluation, checkpoints and exact resume in a run directory (docs/architecture.md section 5).
 * The composition root of training: it may use every module; the CLI, evaluation and sweeps use
 * it.
 */
package dev.revise.experiments.train;
