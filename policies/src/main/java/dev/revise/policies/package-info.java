/**
 * The {@link dev.revise.rl.Policy} implementation on DJL and PyTorch: {@link
 * dev.revise.policies.LlamaPolicy} (model, tokenizer, chat format, sampling), the device and
 * precision it runs in, and the named model shapes of {@code init} and {@code bench}. policies
 * may use {@code rl}; it never imports envs, rewards, experiments or Ray, and only experiments
 * imports it.
 */
package dev.revise.policies;
