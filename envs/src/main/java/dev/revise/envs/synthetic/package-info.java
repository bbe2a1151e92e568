/**
 * The synthetic multi-step arithmetic task of the CPU-scale runs: problem generation with
 * held-out problems, its task source and verifier, and the noisy worked attempts of the SFT
 * warm-up (docs/self-correction-notes.md). Pure Java over the {@code rl} vocabulary; experiments
 * wires it from {@code task.synthetic} and {@code sft.*}.
 */
package dev.revise.envs.synthetic;
