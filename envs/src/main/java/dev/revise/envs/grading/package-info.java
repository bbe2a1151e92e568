/**
 * Answer grading for math tasks: final-answer extraction, exact numeric comparison, and a
 * symbolic LaTeX grader (normaliser, parser, evaluator, equivalence) behind
 * {@link dev.revise.envs.grading.Gsm8kVerifier}, {@link dev.revise.envs.grading.MathVerifier} and
 * {@code revise grade}. Pure Java: imports only the {@code rl} vocabulary, never DJL, Ray or the
 * other revise modules.
 */
package dev.revise.envs.grading;
