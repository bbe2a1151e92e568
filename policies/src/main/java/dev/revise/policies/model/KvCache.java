package dev.revise.policies.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Keys and values of every layer for a batch of sequences, preallocated to the longest sequence
 * the generation can reach and written in place (no per-step concatenation).
 *
 * <p>Layouts are chosen so attention reads a slice without a copy: keys are stored transposed,
 * {@code kT: (B, K, Dh, capacity)}, so {@code q @ kT[..., :S]} is a plain strided matmul; values
 * are {@code (B, K, capacity, Dh)}. Lives in the scope of one generation call.
 *
 * <p>Two ways to fill it. Aligned: every row writes at the same positions {@code [start, start+T)}
 * (one generation call over left-padded prompts). Placed ({@link #place}): each row of the next
 * forward is a cache row (a slot) of its own, writing its T tokens at its own columns, and reading
 * the first S columns of its slot; a continuous-batching session keeps sequences of different
 * lengths this way, and grows the capacity when one outgrows it ({@link #ensureCapacity}).
 */
public final class KvCache {
    private final NDManager scope;
    private final NDArray[] keysT;
    private final NDArray[] values;
    private int capacity;
    private final long[] keyShape;
    private final long[] valueShape;
    private int length;
    // placement of the next forward (null: aligned)
    private NDArray placedSlots; // (B, 1) int64: the cache row of each batch row
    private NDArray placedColumns; // (B, T) int64: the column of each new token
    private NDArray readSlots; // (B) int64, or null when the batch rows are slots [0, B)

    public KvCache(NDManager scope, LlamaConfig config, int batch, int capacity) {
        this(scope, config, batch, capacity, DataType.FLOAT32);
    }

    /** A cache whose keys and values are stored as {@code dtype} (the model's weight type). */
    public KvCache(NDManager scope, LlamaConfig config, int batch, int capacity, DataType dtype) {
        this.scope = scope;
        this.capacity = capacity;
        this.keysT = new NDArray[config.numHiddenLayers()];
        this.values = new NDArray[config.numHiddenLayers()];
        int k = config.numKeyValueHeads();
        int dh = config.headDim();
        this.keyShape = new long[] {batch, k, dh, capacity};
        this.valueShape = new long[] {batch, k, capacity, dh};
        for (int l = 0; l < keysT.length; l++) {
            keysT[l] = scope.zeros(new Shape(batch, k, dh, capacity), dtype);
            values[l] = scope.zeros(new Shape(batch, k, capacity, dh), dtype);
        }
    }

    public int capacity() {
        return capacity;
    }

    /** Number of positions written so far. */
    public int length() {
        return length;
    }

    /**
     * Writes keys and values of the T new tokens, both {@code (B, T, K, Dh)} as the projection
     * produced them, at {@code [start, start+T)} (aligned) or at the placed columns. Why this
     * layout: a placed write's advanced indexing wants exactly it, so decoding writes with no
     * permute at all; an aligned write permutes to the cache's layouts here.
     */
    void write(int layer, int start, int t, NDArray k, NDArray v) {
        if (placedColumns != null) {
            // (B, T, K, Dh) on both sides: advanced indices on two axes put their dims first
            JniUtils.indexAdvPut(
                    Ops.pt(keysT[layer]), new NDIndex("{}, :, :, {}", placedSlots, placedColumns), Ops.pt(k));
            JniUtils.indexAdvPut(
                    Ops.pt(values[layer]), new NDIndex("{}, :, {}, :", placedSlots, placedColumns), Ops.pt(v));
            return;
        }
        if (start + t > capacity) {
            throw new IllegalStateException("KV cache full: " + (start + t) + " > capacity " + capacity);
        }
        Ops.write(keysT[layer], keyShape, 3, start, t, Ops.permute(k, 0, 2, 3, 1));
        Ops.write(values[layer], valueShape, 2, start, t, Ops.permute(v, 0, 2, 1, 3));
    }

    /** Views of the first {@code s} positions: {@code kT (B, K, Dh, s)} and {@code v (B, K, s, Dh)}. */
    NDArray keysT(NDManager scope, int layer, int s) {
        if (readSlots != null) {
            return JniUtils.indexAdv(Ops.pt(keysT[layer]), new NDIndex("{}, :, :, :" + s, readSlots), pt(scope));
        }
        return Ops.into(scope, rows(keysT[layer], keyShape, 3, s));
    }

    NDArray values(NDManager scope, int layer, int s) {
        if (readSlots != null) {
            return JniUtils.indexAdv(Ops.pt(values[layer]), new NDIndex("{}, :, :" + s + ", :", readSlots), pt(scope));
        }
        return Ops.into(scope, rows(values[layer], valueShape, 2, s));
    }

    /** The first {@code s} positions of the forward's rows: all slots (aligned), or slots [0, B) (placed). */
    private NDArray rows(NDArray a, long[] shape, int axis, int s) {
        long[] min = new long[4];
        long[] max = shape.clone();
        max[axis] = s;
        if (placedSlots != null) {
            max[0] = placedSlots.getShape().get(0);
        }
        return JniUtils.index(Ops.pt(a), min, max, new long[] {1, 1, 1, 1}, (PtNDManager) a.getManager());
    }

    /**
     * Places the next forward's rows: batch row i is cache row {@code slots[i]} and writes its new
     * token j at column {@code columns[i][j]}; it reads the first S columns of its slot, S the
     * forward's {@code start + T}. With {@code contiguous}, the slots are 0..B-1 in order (read
     * as a view, not gathered). Arrays live in {@code step}, the forward's scope.
     */
    public void place(NDManager step, long[] slots, long[][] columns, boolean contiguous) {
        int b = slots.length;
        int t = columns[0].length;
        long[] flat = new long[b * t];
        for (int i = 0; i < b; i++) {
            System.arraycopy(columns[i], 0, flat, i * t, t);
        }
        placedSlots = step.create(slots, new Shape(b, 1));
        placedColumns = step.create(flat, new Shape(b, t));
        readSlots = contiguous ? null : step.create(slots, new Shape(b));
    }

    /** Back to aligned writes (after a placed forward; its arrays die with its scope). */
    public void clearPlacement() {
        placedSlots = null;
        placedColumns = null;
        readSlots = null;
    }

    /** Grows every slot to at least {@code columns} positions, keeping what they hold. */
    public void ensureCapacity(int columns) {
        if (columns <= capacity) {
            return;
        }
        int grown = Math.max(columns, capacity + capacity / 2);
        for (int l = 0; l < keysT.length; l++) {
            keysT[l] = regrow(keysT[l], keyShape, 3, grown);
            values[l] = regrow(values[l], valueShape, 2, grown);
        }
        keyShape[3] = grown;
        valueShape[2] = grown;
        capacity = grown;
    }

    private NDArray regrow(NDArray old, long[] shape, int axis, int grown) {
        long[] bigger = shape.clone();
        bigger[axis] = grown;
        NDArray fresh = scope.zeros(new Shape(bigger), old.getDataType());
        Ops.write(fresh, bigger, axis, 0, shape[axis], old);
        old.close();
        return fresh;
    }

    /** Copies the first {@code n} positions of slot {@code from} into slot {@code to} (a shared prompt). */
    public void copySlot(int from, int to, int n) {
        for (int l = 0; l < keysT.length; l++) {
            copy(keysT[l], keyShape, 3, from, to, n);
            copy(values[l], valueShape, 2, from, to, n);
        }
    }

    private static void copy(NDArray a, long[] shape, int axis, int from, int to, int n) {
        long[] min = new long[4];
        long[] max = shape.clone();
        long[] step = {1, 1, 1, 1};
        min[0] = from;
        max[0] = from + 1;
        max[axis] = n;
        try (NDArray source = JniUtils.index(Ops.pt(a), min, max, step, (PtNDManager) a.getManager())) {
            min[0] = to;
            max[0] = to + 1;
            JniUtils.indexSet(Ops.pt(a), Ops.pt(source), min, max, step);
        }
    }

    private static PtNDManager pt(NDManager m) {
        return (PtNDManager) m;
    }

    void advance(int t) {
        length += t;
    }
}
