package dev.revise.policies.lora;

import java.util.ArrayList;
import java.util.List;

/**
 * The shape of a LoRA adapter (Hu et al. 2021): each targeted projection W (out x in) becomes W +
 * s B A with A (r x in), B (out x r) trained and W frozen; s = alpha / r, or alpha / sqrt(r) with
 * rsLoRA (Kalajdzievski 2023). Dropout (PEFT's {@code lora_dropout}) applies to the adapter's
 * input only, while gradients are recorded.
 *
 * @param targets projections by PEFT's module names, in {@link #ALL_TARGETS} order
 */
public record LoraConfig(int rank, double alpha, double dropout, List<String> targets, boolean rslora) {
    /** The projections of a Llama block, in the order PEFT's state dict lists them. */
    public static final List<String> ALL_TARGETS =
            List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    public LoraConfig {
        if (rank < 1) {
            throw new IllegalArgumentException("policy.lora.rank must be >= 1 for an adapter, got " + rank);
        }
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new IllegalArgumentException("policy.lora.alpha must be a positive number, got " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("policy.lora.dropout must be in [0, 1), got " + dropout);
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("policy.lora.targets is empty: name at least one of " + ALL_TARGETS);
        }
        List<String> ordered = new ArrayList<>();
        for (String t : targets) {
            if (!ALL_TARGETS.contains(t)) {
                throw new IllegalArgumentException(
                        "policy.lora.targets: '" + t + "' is not a projection of a Llama block (" + ALL_TARGETS + ")");
            }
        }
        for (String t : ALL_TARGETS) {
            if (targets.contains(t)) {
                ordered.add(t);
            }
        }
        if (ordered.size() != targets.size()) {
            throw new IllegalArgumentException("policy.lora.targets names a projection twice: " + targets);
        }
        targets = List.copyOf(ordered);
    }

    public LoraConfig(int rank, double alpha, double dropout, List<String> targets) {
        this(rank, alpha, dropout, targets, false);
    }

    /** The factor of B A in the adapted weight. */
    public double scaling() {
        return rslora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    public boolean targets(String module) {
        return targets.contains(module);
    }

    /** The PEFT module path of a projection: {@code self_attn.q_proj} or {@code mlp.down_proj}. */
    public static String modulePath(String target) {
        return (target.endsWith("_proj")
                                && (target.startsWith("gate") || target.startsWith("up") || target.startsWith("down"))
                        ? "mlp."
                        : "self_attn.")
                + target;
    }
}
