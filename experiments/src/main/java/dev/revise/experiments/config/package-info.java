/**
 * Run configuration: {@code revise/defaults.yaml} (every key with its default; also the schema),
 * a YAML file merged over it, then {@code --set} overrides, with typed, range-checked accessors
 * whose errors name the source and dotted path. A leaf: every other experiments package may use
 * it; it imports no revise package.
 */
package dev.revise.experiments.config;
