/**
 * LoRA adapters in PEFT's format: {@code LoraConfig} (rank, alpha, dropout, targeted projections),
 * {@code LoraAdapter} (the A and B tensors, created as PEFT initialises them, loaded, saved and
 * merged) and {@code PeftAdapterConfig} (adapter_config.json, with refusals of the PEFT options
 * revise does not implement). The model applies an adapter through {@code model.LowRankAdapter}.
 */
package dev.revise.policies.lora;
