/**
 * The Llama-family decoder written with NDArray ops (llama, qwen2, qwen3, mistral options), its
 * {@code config.json} reading and writing in both transformers layouts, RoPE and its scaling
 * variants, the KV cache, weight I/O, LoRA updates through {@code LowRankAdapter} and activation
 * checkpointing ({@code CheckpointedForward}). Uses only the checkpoint package of policies; the
 * policy and generation packages build on it.
 */
package dev.revise.policies.model;
