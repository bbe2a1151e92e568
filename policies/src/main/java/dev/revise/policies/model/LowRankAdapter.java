package dev.revise.policies.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * What {@link LlamaModel}'s forward pass needs of a LoRA adapter: per block and projection (PEFT's
 * module names: q_proj ... down_proj), A (r x in) and B (out x r), and the factor s of W + s B A.
 * Implemented by {@code dev.revise.policies.lora.LoraAdapter}, which owns the tensors and their
 * files.
 */
public interface LowRankAdapter {
    /** A of {@code target} in block {@code layer}, or null when the adapter does not target it. */
    NDArray a(int layer, String target);

    NDArray b(int layer, String target);

    /** The scalar s, a tensor in {@link #dtype()}. */
    NDArray scaling();

    /** The probability of zeroing an input of A while gradients are recorded (PEFT's lora_dropout). */
    double dropout();

    DataType dtype();
}
