/**
 * {@code revise sweep}: a grid of config variants x seeds, trained inline, as child driver JVMs,
 * or as Ray tasks on a cluster; resumable from its plan. Uses the config, train and ray packages;
 * only the CLI uses it.
 */
package dev.revise.experiments.sweep;
