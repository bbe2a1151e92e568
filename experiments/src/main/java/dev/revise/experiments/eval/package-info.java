/**
 * {@code revise eval}: the self-correction metrics of one checkpoint on a dataset, including
 * RISE's p1@tK and m1@tK, the budget-matched parallel baseline and pass@k, written as eval.json
 * (docs/algorithms.md, "Self-correction metrics"). Uses the config, tasks, train and report
 * packages; only the CLI uses it.
 */
package dev.revise.experiments.eval;
