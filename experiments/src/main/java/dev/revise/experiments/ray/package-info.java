/**
 * Ray adapters: the run's Ray lifecycle (LOCAL mode or a cluster, checked before
 * {@code Ray.init}), rollout actors that each hold a policy copy, and the rollout source that
 * drives them with JSON specs and byte[] weight snapshots (docs/architecture.md section 4). Ray
 * is imported only in experiments, mainly here; envs, rewards, policies and {@code rl} never see
 * it.
 */
package dev.revise.experiments.ray;
