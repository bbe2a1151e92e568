/**
 * Batched sampling from a {@link dev.revise.policies.model.LlamaModel} with a preallocated KV
 * cache: left-padded ragged prompts, one seeded random stream per row, temperature, top-k, top-p
 * and stop conditions. Implements {@link dev.revise.rl.Generator}; uses the model package and
 * {@code rl}, nothing of envs, rewards or experiments.
 */
package dev.revise.policies.generation;
