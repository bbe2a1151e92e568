/**
 * Hugging Face checkpoint files: bounds-checked safetensors reading and writing (F32, BF16, F16,
 * F64; single file or sharded with an index), {@code generation_config.json}, and the errors that
 * name the file and field. No pickle formats. A leaf of the policies module: it imports no other
 * revise package.
 */
package dev.revise.policies.checkpoint;
