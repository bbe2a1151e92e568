package dev.revise.policies.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;

/**
 * Activation checkpointing (Chen et al. 2016, "Training Deep Nets with Sublinear Memory Cost") for
 * {@link LlamaModel}'s training passes. DJL has no checkpoint API, so back-propagation is split by
 * hand:
 *
 * <ol>
 *   <li>the forward pass runs every block without recording gradients, keeping only each block's
 *       input, and hands the caller the last block's output as a leaf that its loss
 *       back-propagates to (through the final norm and the LM head, recorded as usual);
 *   <li>{@link #backward()} then recomputes the blocks from their saved inputs, last first, each
 *       with gradients recorded, and back-propagates the upstream gradient through it ({@code
 *       torch.autograd.backward(output, grad)}): the parameters' gradients accumulate exactly as
 *       in one full backward, and the gradient of the block's input is the upstream gradient of
 *       the block before; the embedding's comes last.
 * </ol>
 *
 * <p>Each block runs in a scope of its own that is closed after it, so one block's activations
 * are alive at a time. LoRA dropout is reseeded per block in both passes, so the recomputed masks
 * are the ones the forward pass drew.
 */
final class CheckpointedForward {
    /** One training forward pass whose backward is still to be completed. */
    private record Pass(
            NDManager scope,
            NDArray ids,
            NDArray cos,
            NDArray sin,
            NDArray bias,
            LowRankAdapter adapter,
            boolean fullTraining,
            boolean dropout,
            long seed,
            NDArray[] inputs,
            NDArray last) {
        Pass withLast(NDArray leaf) {
            return new Pass(scope, ids, cos, sin, bias, adapter, fullTraining, dropout, seed, inputs, leaf);
        }
    }

    private final LlamaModel model;
    private final List<Pass> pending = new ArrayList<>();

    CheckpointedForward(LlamaModel model) {
        this.model = model;
    }

    /** The last block's output (B, T, D), a leaf in {@code scope} that gradients can reach. */
    synchronized NDArray forward(
            NDManager scope,
            NDArray ids,
            NDArray cos,
            NDArray sin,
            NDArray bias,
            LowRankAdapter adapter,
            boolean fullTraining,
            boolean dropout) {
        int layers = model.config().numHiddenLayers();
        NDArray[] inputs = new NDArray[layers];
        long seed = dropout ? drawSeed(scope) : 0;
        Pass pass = new Pass(scope, ids, cos, sin, bias, adapter, fullTraining, dropout, seed, inputs, null);
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        NDArray x;
        try {
            x = Ops.into(scope, Ops.embedding(ids, model.parameter("model.embed_tokens.weight")));
            for (int l = 0; l < layers; l++) {
                inputs[l] = x;
                try (NDManager block = scope.newSubManager()) {
                    NDArray in = Ops.into(block, x.duplicate());
                    x = Ops.into(scope, blockOn(pass, block, l, in));
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
        x.setRequiresGradient(true);
        pending.add(pass.withLast(x));
        return x;
    }

    /** Recomputes and back-propagates every pending pass, newest first; see the class comment. */
    synchronized void backward() {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        try {
            for (int i = pending.size() - 1; i >= 0; i--) {
                backward(pending.get(i));
            }
        } finally {
            pending.clear();
            JniUtils.setGradMode(grad);
        }
    }

    private void backward(Pass pass) {
        PtNDArray upstream = JniUtils.getGradient((PtNDArray) pass.last());
        if (upstream == null) {
            return; // the caller's loss did not depend on this pass
        }
        NDArray g = Ops.into(pass.scope(), upstream);
        for (int l = pass.inputs().length - 1; l >= 0; l--) {
            try (NDManager block = pass.scope().newSubManager()) {
                NDArray in = Ops.into(block, pass.inputs()[l].duplicate());
                in.setRequiresGradient(true);
                NDArray out = blockOn(pass, block, l, in);
                JniUtils.backward((PtNDArray) out, (PtNDArray) g, false, false);
                PtNDArray inGrad = JniUtils.getGradient((PtNDArray) in);
                g.close();
                g = Ops.into(pass.scope(), Ops.into(block, inGrad).duplicate());
            }
        }
        if (pass.fullTraining()) {
            try (NDManager block = pass.scope().newSubManager()) {
                NDArray e = Ops.into(block, Ops.embedding(pass.ids(), model.parameter("model.embed_tokens.weight")));
                JniUtils.backward((PtNDArray) e, (PtNDArray) g, false, false);
            }
        }
        g.close();
    }

    /** Block {@code l} of {@code pass} on {@code in} (a leaf recording gradients), in {@code block}. */
    private NDArray blockOn(Pass pass, NDManager block, int l, NDArray in) {
        LoraDelta lora = pass.adapter() == null
                ? null
                : new LoraDelta(model.config(), model.dtype(), block, pass.adapter(), pass.dropout());
        if (pass.dropout()) {
            JniUtils.setSeed(pass.seed() + l);
        }
        LlamaModel.LayerWeights w = model.layerWeights(block, l, pass.fullTraining());
        return model.block(block, in, l, w, lora, pass.cos(), pass.sin(), pass.bias(), null, 0);
    }

    /** A seed for this pass's dropout masks, drawn from the generator the caller seeded. */
    static long drawSeed(NDManager scope) {
        try (NDArray r = scope.randomInteger(0, Long.MAX_VALUE, new Shape(1), DataType.INT64)) {
            return r.getLong();
        }
    }
}
