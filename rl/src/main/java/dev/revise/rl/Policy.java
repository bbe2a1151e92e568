package dev.revise.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;

/**
 * A trainable causal language model. Sampling goes through {@link #generator()} and never records
 * gradients; {@link #score} records gradients exactly when the caller has a {@code
 * GradientCollector} open.
 */
public interface Policy extends ConversationCodec, AutoCloseable {

    /**
     * The token ids of a conversation rendered with the policy's chat format, ending with the
     * header of the assistant turn the policy is to write next.
     */
    default int[] encodeConversation(List<Message> conversation) {
        return tokenizer().encode(render(conversation));
    }

    Generator generator();

    /** The manager that owns the parameters (model lifetime). */
    NDManager manager();

    /** Trainable parameters by their checkpoint names, in a fixed order. */
    Map<String, NDArray> parameters();

    /** Token log-probs (and optional extras) of {@code batch}; arrays are attached to {@code scope}. */
    TokenScores score(NDManager scope, TokenBatch batch, ScoreOptions options);

    /**
     * Back-propagates {@code loss} to the parameters, through everything this policy scored with
     * gradients since the last call. A policy that recomputes activations in the backward pass
     * (activation checkpointing) does that here; others just call {@code collector.backward}.
     */
    default void backward(ai.djl.training.GradientCollector collector, NDArray loss) {
        collector.backward(loss);
    }

    /** Must be called after parameters changed in place (an optimizer step, a restore). */
    void parametersUpdated();

    /** Incremented by every {@link #parametersUpdated()}; rollouts record it. */
    long version();

    /** All parameters as bytes (for shipping to rollout workers). */
    byte[] snapshot();

    /** Replaces all parameters by a {@link #snapshot()} of a policy with the same architecture. */
    void restore(byte[] snapshot, long version);

    @Override
    void close();
}
