/**
 * Training plumbing shared by every learner and the policy: AdamW with global-norm clipping, the
 * learning-rate schedule, micro-batching, named native-memory scopes, long-lived tensor constants
 * and memory probes. Written against DJL's {@code api} around its pitfalls (docs/platform.md,
 * DJL pitfalls); a leaf package: it imports no other revise package.
 */
package dev.revise.rl.train;
