package dev.revise.policies.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Thin wrappers over DJL's PyTorch JNI for the ops the decoder runs per token. Why not the NDArray
 * API: its slicing adds a squeeze and its slice assignment a reshape and a broadcast, each a JNI
 * round trip (~2 us); decoding runs these ops hundreds of times per token. Results land on the
 * manager of the first operand, as with the NDArray API.
 */
final class Ops {
    private Ops() {}

    static PtNDArray pt(NDArray a) {
        return (PtNDArray) a;
    }

    /**
     * {@code a[..., from:to, ...]} along {@code axis}: a view, no copy. {@code shape} is {@code a}'s
     * shape, passed in because asking the engine for it costs a JNI call (~4 us) per new array.
     */
    static NDArray slice(NDArray a, long[] shape, int axis, long from, long to) {
        long[] min = new long[shape.length];
        long[] max = shape.clone();
        long[] step = new long[shape.length];
        java.util.Arrays.fill(step, 1);
        min[axis] = from;
        max[axis] = to;
        return JniUtils.index(pt(a), min, max, step, (PtNDManager) a.getManager());
    }

    /** {@code target[..., from:from+n, ...] = value} along {@code axis}, in place ({@code shape}: target's). */
    static void write(NDArray target, long[] shape, int axis, long from, long n, NDArray value) {
        long[] min = new long[shape.length];
        long[] max = shape.clone();
        long[] step = new long[shape.length];
        java.util.Arrays.fill(step, 1);
        min[axis] = from;
        max[axis] = from + n;
        JniUtils.indexSet(pt(target), pt(value), min, max, step);
    }

    /** Splits {@code a} (of length {@code total} along {@code axis}) at {@code index}: two views, one call. */
    static NDArray[] split(NDArray a, int axis, long index, long total) {
        // DJL passes these to torch.split_with_sizes: they are sizes, not split points.
        ai.djl.ndarray.NDList parts = JniUtils.split(pt(a), new long[] {index, total - index}, axis);
        return new NDArray[] {parts.get(0), parts.get(1)};
    }

    static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return JniUtils.linear(pt(x), pt(weight), bias == null ? null : pt(bias));
    }

    static NDArray embedding(NDArray ids, NDArray table) {
        return JniUtils.embedding(pt(ids), pt(table), false);
    }

    static NDArray matmul(NDArray a, NDArray b) {
        return JniUtils.matmul(pt(a), pt(b));
    }

    static NDArray permute(NDArray a, long... dims) {
        return JniUtils.permute(pt(a), dims);
    }

    static NDArray reshape(NDArray a, long... shape) {
        return JniUtils.reshape(pt(a), shape);
    }

    static NDArray cat(int axis, NDArray... arrays) {
        PtNDArray[] pts = new PtNDArray[arrays.length];
        for (int i = 0; i < arrays.length; i++) {
            pts[i] = pt(arrays[i]);
        }
        return JniUtils.cat(pts, axis);
    }

    /** Moves {@code a} to {@code scope} (for results whose first operand lives longer). */
    static NDArray into(NDManager scope, NDArray a) {
        a.attach(scope);
        return a;
    }
}
