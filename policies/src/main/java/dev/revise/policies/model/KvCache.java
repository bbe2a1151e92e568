package dev.revise.policies.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of every layer for a batch of sequences, preallocated to the longest sequence
 * the generation can reach and written in place (no per-step concatenation).
 *
 * <p>Layouts are chosen so attention reads a slice without a copy: keys are stored transposed,
 * {@code kT: (B, K, Dh, capacity)}, so {@code q @ kT[..., :S]} is a plain strided matmul; values
 * are {@code (B, K, capacity, Dh)}. Lives in the scope of one generation call.
 */
public final class KvCache {
    private final NDArray[] keysT;
    private final NDArray[] values;
    private final int capacity;
    private final long[] keyShape;
    private final long[] valueShape;
    private int length;

    public KvCache(NDManager scope, LlamaConfig config, int batch, int capacity) {
        this(scope, config, batch, capacity, DataType.FLOAT32);
    }

    /** A cache whose keys and values are stored as {@code dtype} (the model's weight type). */
    public KvCache(NDManager scope, LlamaConfig config, int batch, int capacity, DataType dtype) {
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

    /** Writes the keys {@code kT (B, K, Dh, T)} and values {@code v (B, K, T, Dh)} at {@code [start, start+T)}. */
    void write(int layer, int start, int t, NDArray kT, NDArray v) {
        if (start + t > capacity) {
            throw new IllegalStateException("KV cache full: " + (start + t) + " > capacity " + capacity);
        }
        Ops.write(keysT[layer], keyShape, 3, start, t, kT);
        Ops.write(values[layer], valueShape, 2, start, t, v);
    }

    /** Views of the first {@code s} positions: {@code kT (B, K, Dh, s)} and {@code v (B, K, s, Dh)}. */
    NDArray keysT(NDManager scope, int layer, int s) {
        return Ops.into(scope, Ops.slice(keysT[layer], keyShape, 3, 0, s));
    }

    NDArray values(NDManager scope, int layer, int s) {
        return Ops.into(scope, Ops.slice(values[layer], valueShape, 2, 0, s));
    }

    void advance(int t) {
        length += t;
    }
}
