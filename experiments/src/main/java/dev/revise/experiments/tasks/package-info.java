/**
 * The task side of a config ({@code task.*}, {@code env.*}): the training stream, held-out
 * evaluation problems, the verifier by name and the episode configuration, built from envs.
 * Uses envs, {@code rl} and the config package; training, evaluation and the Ray actors use it.
 */
package dev.revise.experiments.tasks;
