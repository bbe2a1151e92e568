/**
 * Self-correction metrics over trajectories (Acc@t, Delta, i->c, c->i, transitions, McNemar,
 * confidence and critique, edit ratio, p1@tK, m1@tK) and the proportion statistics behind them
 * (Wilson and paired intervals, exact McNemar, pass@k); see docs/algorithms.md. Plain Java over
 * the {@code rl} vocabulary: trainers, evaluation and reports all use it.
 */
package dev.revise.rl.metrics;
