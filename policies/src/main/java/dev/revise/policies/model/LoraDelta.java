package dev.revise.policies.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;

/** A forward pass's view of a LoRA adapter: its low-rank updates s B A dropout(x), computed in one scope. */
final class LoraDelta {
    static final List<String> QKV = List.of("q_proj", "k_proj", "v_proj");
    static final List<String> O = List.of("o_proj");
    static final List<String> GATE_UP = List.of("gate_proj", "up_proj");
    static final List<String> DOWN = List.of("down_proj");

    private final LlamaConfig config;
    private final DataType dtype;
    private final NDManager scope;
    private final LowRankAdapter adapter;
    private final boolean dropout;

    LoraDelta(LlamaConfig config, DataType dtype, NDManager scope, LowRankAdapter adapter, boolean dropout) {
        if (adapter.dtype() != dtype) {
            throw new IllegalArgumentException(
                    "the adapter's dtype " + adapter.dtype() + " differs from the model's " + dtype);
        }
        this.config = config;
        this.dtype = dtype;
        this.scope = scope;
        this.adapter = adapter;
        this.dropout = dropout;
    }

    /**
     * {@code out} (the fused output of {@code modules}, concatenated on the last axis) plus s B_m A_m
     * x for each module m the adapter targets. {@code foldedScale}: the norm scale folded into the
     * base matrix, which A must apply to the normalised {@code x} itself (x diag(g) A^T = x (A
     * diag(g))^T).
     */
    NDArray add(NDArray out, NDArray x, NDArray foldedScale, int layer, List<String> modules) {
        boolean any = false;
        NDArray[] parts = new NDArray[modules.size()];
        for (int i = 0; i < parts.length; i++) {
            String m = modules.get(i);
            NDArray a = adapter.a(layer, m);
            if (a == null) {
                continue;
            }
            any = true;
            if (foldedScale != null) {
                a = Ops.into(scope, a.mul(foldedScale)); // (r, in) * (in)
            }
            NDArray in = dropout ? JniUtils.dropout(Ops.pt(x), adapter.dropout(), true) : x;
            parts[i] = Ops.linear(Ops.linear(in, a, null), adapter.b(layer, m), null)
                    .mul(adapter.scaling());
        }
        if (!any) {
            return out;
        }
        if (parts.length == 1) {
            return out.add(parts[0]);
        }
        Shape shape = x.getShape();
        for (int i = 0; i < parts.length; i++) {
            if (parts[i] == null) {
                parts[i] = scope.zeros(shape.slice(0, shape.dimension() - 1).add(outFeatures(modules.get(i))), dtype);
            }
        }
        return out.add(Ops.cat(-1, parts));
    }

    private long outFeatures(String module) {
        return switch (module) {
            case "q_proj" -> config.qDim();
            case "k_proj", "v_proj" -> config.kvDim();
            case "gate_proj", "up_proj" -> config.intermediateSize();
            default -> config.hiddenSize();
        };
    }
}
