/**
 * Reports over run and sweep directories: reading metrics.jsonl and eval.json, per-variant
 * statistics and pairwise tests, PNG/SVG plots, summary.md and report.html ({@code revise
 * compare}, {@code revise report}), and the eval.json writer. Uses only {@code rl} and its
 * metrics; training and evaluation write through it.
 */
package dev.revise.experiments.report;
