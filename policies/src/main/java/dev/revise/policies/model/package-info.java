/**
 * The Llama-family decoder written with NDArray ops (llama, qwen2, qwen3, mistral options), its
 * {@code config.json} reading and writing in both transformers layouts, RoPE and its scaling
 * variants, the KV cache and weight I/O. Uses only the checkpoint package of policies; the
 * policy and generation packages build on it.
 */
package dev.revise.policies.model;
