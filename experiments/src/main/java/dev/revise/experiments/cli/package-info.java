/**
 * The {@code revise} command line (picocli): one class per command and the exit-status contract
 * of docs/architecture.md section 6. The top of the wiring: it may use every other experiments
 * package and every module, and nothing imports it.
 */
package dev.revise.experiments.cli;
