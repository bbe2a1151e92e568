/**
 * The pure math of the learners: advantage estimators (group-relative, leave-one-out, batch
 * mean, per turn, GAE), the clipped surrogate and value losses with their aggregations, and the
 * KL estimators k1/k2/k3/exact (docs/algorithms.md). Golden-tested; depends only on
 * {@code rl.train}'s tensor constants, so any learner may use it.
 */
package dev.revise.rl.math;
