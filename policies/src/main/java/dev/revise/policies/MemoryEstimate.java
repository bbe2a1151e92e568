package dev.revise.policies;

import dev.revise.policies.lora.LoraAdapter;
import dev.revise.policies.lora.LoraConfig;
import dev.revise.policies.model.LlamaConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a learner and a rollout actor hold in memory, in bytes, from the model's shape and the run's
 * settings: the arithmetic {@code train --dry-run} prints and {@code bench --workload memory}
 * reports. The activation terms count the tensors {@code LlamaModel}'s ops create per block (every
 * intermediate of a step lives until the step's scope closes), with float32 activations as the
 * trained policy computes them; the README compares the estimate with measured
 * peaks.
 *
 * @param lora the adapter, or null for full fine-tuning
 * @param checkpointing activation checkpointing
 * @param reference whether a KL reference is needed (full fine-tuning: a second model of
 *     {@code inferenceBytes}-per-parameter weights; LoRA: the base itself, no cost)
 * @param inferenceBytes bytes per weight of the inference copies (the reference and actors: run.dtype)
 * @param rows sequences per micro-batch (B)
 * @param tokens tokens per sequence (T)
 */
public record MemoryEstimate(
        LlamaConfig model,
        LoraConfig lora,
        boolean checkpointing,
        boolean reference,
        int inferenceBytes,
        long rows,
        long tokens) {

    /** The learner's memory by part, in bytes; {@code total} last. */
    public Map<String, Long> learner() {
        long params = model.parameterCount();
        long trained = lora == null ? params : loraParameters();
        Map<String, Long> out = new LinkedHashMap<>();
        out.put("weights", params * 4); // the trained policy is float32
        // the fused Q/K/V and gate/up copies: per step for full training, cached once under LoRA
        out.put("fused_weights", fusedFloats() * 4);
        out.put("gradients", trained * 4);
        out.put("adamw_state", trained * 8);
        if (lora != null) {
            out.put("adapter", trained * 4);
        }
        out.put("reference", reference && lora == null ? params * inferenceBytes + fusedFloats() * inferenceBytes : 0);
        out.put("activations", activations());
        out.put("total", out.values().stream().mapToLong(Long::longValue).sum());
        return out;
    }

    /**
     * A rollout actor's memory: weights and their fused copies in {@code inferenceBytes} per
     * value, plus the KV cache of {@code batch} sequences of {@code context} positions.
     */
    public Map<String, Long> actor(long batch, long context) {
        Map<String, Long> out = new LinkedHashMap<>();
        out.put("weights", model.parameterCount() * inferenceBytes);
        out.put("fused_weights", fusedFloats() * inferenceBytes);
        if (lora != null) {
            out.put("adapter", loraParameters() * inferenceBytes);
        }
        long kv = 2L * model.numHiddenLayers() * model.kvDim() * batch * context * inferenceBytes;
        out.put("kv_cache", kv);
        out.put("total", out.values().stream().mapToLong(Long::longValue).sum());
        return out;
    }

    /** {@code total 12.3 GB (weights 1.0 GB, ...)}: the parts of {@link #learner()} or {@link #actor}. */
    public static String describe(Map<String, Long> parts) {
        boolean gb = parts.get("total") >= 1e9;
        double unit = gb ? 1e9 : 1e6;
        String name = gb ? " GB" : " MB";
        StringBuilder b = new StringBuilder(String.format("%.2f%s (", parts.get("total") / unit, name));
        String sep = "";
        for (Map.Entry<String, Long> e : parts.entrySet()) {
            if (!e.getKey().equals("total") && e.getValue() > 0) {
                b.append(sep).append(e.getKey().replace('_', ' ')).append(String.format(" %.2f", e.getValue() / unit));
                sep = ", ";
            }
        }
        return b.append(")").toString();
    }

    public long loraParameters() {
        return LoraAdapter.parameterShapes(model, lora).values().stream()
                .mapToLong(s -> s[0] * s[1])
                .sum();
    }

    private long fusedFloats() {
        long d = model.hiddenSize();
        return model.numHiddenLayers() * ((model.qDim() + 2L * model.kvDim()) * d + 2L * model.intermediateSize() * d);
    }

    /**
     * Float32 bytes of a training step's activations. Per block, for N = B T tokens: the input
     * and two RMSNorms (about 10 N D with the residual adds), the fused Q/K/V output and its
     * LoRA sum (2 N (H + 2K) Dh), the rotary embedding of queries and keys (4 N (H + K) Dh),
     * the query and attention-output copies (3 N H Dh), the scores, biased scores and
     * probabilities (3 B H T^2) and the SwiGLU MLP (5 N I). The LM head adds logits, log-probs
     * and, in the backward pass, their gradient (3 N V). With checkpointing the blocks keep only
     * their inputs (N D each), and one block's activations are alive at a time. A LoRA adapter
     * adds, per adapted group of projections, its update (N out). Checked against the measured peaks of {@code bench --workload train} (README).
     */
    public long activations() {
        long n = rows * tokens;
        long d = model.hiddenSize();
        long h = model.numAttentionHeads();
        long k = model.numKeyValueHeads();
        long dh = model.headDim();
        long perBlock =
                n * (10 * d + 2 * (h + 2 * k) * dh + 4 * (h + k) * dh + 3 * h * dh + 5L * model.intermediateSize())
                        + 3 * rows * h * tokens * tokens;
        if (lora != null) {
            // per adapted group of projections, the product with the block-diagonal B (added to
            // the base's output in place); with dropout, a mask-sized input per targeted projection
            long groups = 0;
            long masks = 0;
            for (String t : lora.targets()) {
                masks += t.equals("o_proj") ? model.qDim() : t.equals("down_proj") ? model.intermediateSize() : d;
            }
            if (lora.targets().stream().anyMatch(t -> t.matches("[qkv]_proj"))) {
                groups += model.qDim() + 2L * model.kvDim();
            }
            if (lora.targets().contains("o_proj")) {
                groups += d;
            }
            if (lora.targets().contains("gate_proj") || lora.targets().contains("up_proj")) {
                groups += 2L * model.intermediateSize();
            }
            if (lora.targets().contains("down_proj")) {
                groups += d;
            }
            perBlock += n * (groups + (lora.dropout() > 0 ? masks : 0));
        }
        long head = 3 * n * model.vocabSize();
        long blocks = checkpointing ? model.numHiddenLayers() * n * d + perBlock : model.numHiddenLayers() * perBlock;
        return 4 * (blocks + head);
    }
}
