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
    private static final List<List<String>> GROUPS = List.of(QKV, O, GATE_UP, DOWN);

    private final LlamaConfig config;
    private final DataType dtype;
    private final NDManager scope;
    private final LowRankAdapter adapter;
    private final boolean dropout;
    private final Frozen frozen; // inference: the group products, built once per adapter version

    /**
     * An adapter's products that do not change between its versions: per block and group of
     * projections, the A matrices concatenated (norm scales folded in) and the block-diagonal s B.
     * Sampling uses them for every token; training builds them per forward pass, where gradients
     * must reach A and B.
     */
    static final class Frozen implements AutoCloseable {
        private final NDManager manager;
        private final LowRankAdapter adapter;
        private final java.util.Map<Integer, NDArray[]> groups = new java.util.concurrent.ConcurrentHashMap<>();

        Frozen(NDManager manager, LowRankAdapter adapter) {
            this.manager = manager;
            this.adapter = adapter;
        }

        boolean isFor(LowRankAdapter a) {
            return a == adapter;
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    LoraDelta(LlamaConfig config, DataType dtype, NDManager scope, LowRankAdapter adapter, boolean dropout) {
        this(config, dtype, scope, adapter, dropout, null);
    }

    LoraDelta(
            LlamaConfig config,
            DataType dtype,
            NDManager scope,
            LowRankAdapter adapter,
            boolean dropout,
            Frozen frozen) {
        if (adapter.dtype() != dtype) {
            throw new IllegalArgumentException(
                    "the adapter's dtype " + adapter.dtype() + " differs from the model's " + dtype);
        }
        this.config = config;
        this.dtype = dtype;
        this.scope = scope;
        this.adapter = adapter;
        this.dropout = dropout;
        this.frozen = frozen;
    }

    /**
     * {@code out} (the fused output of {@code modules}, concatenated on the last axis) plus s B_m A_m
     * x for each module m the adapter targets. {@code foldedScale}: the norm scale folded into the
     * base matrix, which A must apply to the normalised {@code x} itself (x diag(g) A^T = x (A
     * diag(g))^T).
     *
     * <p>Why one block-diagonal B for the group: the rank-r products x A_m^T are small, and s B
     * (out x r) is small, but every product with B is as large as the output; concatenating the
     * x A_m^T and multiplying once by [s B_m on the diagonal] makes one output-sized tensor per
     * group instead of three per module (product, scaling, concatenation).
     */
    NDArray add(NDArray out, NDArray x, NDArray foldedScale, int layer, List<String> modules) {
        if (frozen != null) {
            NDArray[] ab = frozen.groups.computeIfAbsent(
                    layer * GROUPS.size() + GROUPS.indexOf(modules),
                    k -> freeze(frozen.manager, foldedScale, layer, modules));
            return ab.length == 0 ? out : out.addi(Ops.linear(Ops.linear(x, ab[0], null), ab[1], null));
        }
        List<NDArray> lowRank = new java.util.ArrayList<>();
        int rankSum = 0;
        for (String m : modules) {
            NDArray a = adapter.a(layer, m);
            if (a == null) {
                continue;
            }
            if (foldedScale != null) {
                a = Ops.into(scope, a.mul(foldedScale)); // (r, in) * (in)
            }
            // PEFT draws one dropout mask per module
            NDArray in = dropout ? JniUtils.dropout(Ops.pt(x), adapter.dropout(), true) : x;
            lowRank.add(Ops.linear(in, a, null)); // (..., r)
            rankSum += (int) a.getShape().get(0);
        }
        if (lowRank.isEmpty()) {
            return out;
        }
        NDArray h = lowRank.size() == 1 ? lowRank.get(0) : Ops.cat(-1, lowRank.toArray(new NDArray[0]));
        // in place: the base projection's backward needs its input and weight, not its output,
        // so autograd allows it, and a LoRA step holds one output-sized tensor fewer per group
        return out.addi(Ops.linear(h, blockB(scope, layer, modules, rankSum), null));
    }

    /** {A_m concatenated, block-diagonal s B} of a group in {@code m}, without gradients; empty if untargeted. */
    private NDArray[] freeze(NDManager m, NDArray foldedScale, int layer, List<String> modules) {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            List<NDArray> as = new java.util.ArrayList<>();
            int rankSum = 0;
            for (String mod : modules) {
                NDArray a = adapter.a(layer, mod);
                if (a != null) {
                    as.add(Ops.into(m, foldedScale != null ? a.mul(foldedScale) : a.duplicate()));
                    rankSum += (int) a.getShape().get(0);
                }
            }
            if (as.isEmpty()) {
                return new NDArray[0];
            }
            NDArray a = as.size() == 1 ? as.get(0) : Ops.cat(0, as.toArray(new NDArray[0]));
            return new NDArray[] {a, blockB(m, layer, modules, rankSum)};
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /** (sum of the modules' outputs, sum of the targeted ranks): s B_m on the diagonal, zeros elsewhere. */
    private NDArray blockB(NDManager scope, int layer, List<String> modules, int rankSum) {
        if (modules.size() == 1) {
            return Ops.into(scope, adapter.b(layer, modules.get(0)).mul(adapter.scaling()));
        }
        NDArray[] rows = new NDArray[modules.size()];
        int before = 0;
        for (int i = 0; i < rows.length; i++) {
            String m = modules.get(i);
            long width = outFeatures(m);
            NDArray b = adapter.b(layer, m);
            if (b == null) {
                rows[i] = scope.zeros(new Shape(width, rankSum), dtype);
                continue;
            }
            int r = (int) b.getShape().get(1);
            List<NDArray> parts = new java.util.ArrayList<>();
            if (before > 0) {
                parts.add(scope.zeros(new Shape(width, before), dtype));
            }
            parts.add(Ops.into(scope, b.mul(adapter.scaling())));
            if (rankSum - before - r > 0) {
                parts.add(scope.zeros(new Shape(width, rankSum - before - r), dtype));
            }
            rows[i] = parts.size() == 1 ? parts.get(0) : Ops.cat(1, parts.toArray(new NDArray[0]));
            before += r;
        }
        return Ops.cat(0, rows);
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
