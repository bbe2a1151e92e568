/**
 * {@code revise bench}: throughput of the policy on named shapes or a checkpoint (train, decode,
 * score, matmul, load), one JSON line per run. Uses policies and {@code rl}; benchmarks are never
 * timed tests.
 */
package dev.revise.experiments.bench;
