package dev.revise.policies.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.revise.policies.model.KvCache;
import dev.revise.policies.model.LlamaModel;
import dev.revise.policies.model.LowRankAdapter;
import dev.revise.rl.Completion;
import dev.revise.rl.DecodeSession;
import dev.revise.rl.FinishReason;
import dev.revise.rl.Generator;
import dev.revise.rl.Prompt;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.TextTokenizer;
import dev.revise.rl.train.Scopes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Batched sampling with a KV cache. Prompts of different lengths are left-padded; each row gets
 * its own rotary positions (starting at 0 at its first real token) and a key mask over its
 * padding, so a row's result does not depend on the rest of the batch beyond float rounding.
 * Tokens are drawn in Java from the engine's probabilities with one seeded stream per row.
 *
 * <p>Each step's tensors live in a scope closed at the end of the step; the cache lives in the
 * scope of the whole call. Gradients are never recorded (grad mode is off for the call). Tiny
 * batches of tiny models decode on one intra-op thread; the setting is process-wide in libtorch,
 * so concurrent callers may briefly see it (a speed effect only).
 */
public final class LlamaGenerator implements Generator {
    /** Per-step work below which decoding runs on one intra-op thread (see {@link #generate}). */
    static final double SINGLE_THREAD_MACS = 8e6;

    private final LlamaModel model;
    private final TextTokenizer tokenizer;
    private final LowRankAdapter adapter;

    public LlamaGenerator(LlamaModel model, TextTokenizer tokenizer) {
        this(model, tokenizer, null);
    }

    /** Samples from {@code model} with {@code adapter}'s updates (unmerged), or the base alone when null. */
    public LlamaGenerator(LlamaModel model, TextTokenizer tokenizer, LowRankAdapter adapter) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.adapter = adapter;
    }

    /**
     * A continuous-batching session over this model ({@link LlamaDecodeSession}); null for rotary
     * scaling that depends on the length (dynamic NTK), whose cached keys a later, longer turn
     * would see rotated differently from a recomputation.
     */
    @Override
    public DecodeSession openSession(int slots, SamplingParams params) {
        if (model.lengthDependentRope()) {
            return null;
        }
        return new LlamaDecodeSession(model, tokenizer, adapter, slots, params);
    }

    @Override
    public List<Completion> generate(List<Prompt> prompts, SamplingParams params) {
        return generate(prompts, params, null);
    }

    @Override
    public List<Completion> generate(List<Prompt> prompts, SamplingParams params, StepListener listener) {
        if (prompts.isEmpty()) {
            return List.of();
        }
        boolean wasGrad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        // Below ~8M multiply-adds per decode step, thread synchronisation costs more than a
        // second core gains (small model, batch 1: ~690 vs ~460 tokens/s measured on 2 cores).
        int threads = JniUtils.getNumThreads();
        boolean single = threads > 1 && (double) prompts.size() * model.config().parameterCount() < SINGLE_THREAD_MACS;
        if (single) {
            JniUtils.setNumThreads(1);
        }
        try {
            return run(prompts, params, listener);
        } finally {
            JniUtils.setGradMode(wasGrad);
            if (single) {
                JniUtils.setNumThreads(threads);
            }
        }
    }

    private List<Completion> run(List<Prompt> prompts, SamplingParams params, StepListener listener) {
        int b = prompts.size();
        int vocab = model.config().vocabSize();
        int longest = 0;
        for (Prompt p : prompts) {
            for (int id : p.tokenIds()) {
                if (id < 0 || id >= vocab) {
                    throw new IllegalArgumentException(
                            "prompt token id " + id + " is outside the vocabulary of " + vocab);
                }
            }
            longest = Math.max(longest, p.tokenIds().length);
        }
        int maxPositions = model.config().positionLimit();
        if (longest >= maxPositions) {
            throw new IllegalArgumentException(
                    "prompt of " + longest + " tokens leaves no room in the model's " + maxPositions + " positions");
        }
        int maxNew = Math.min(params.maxNewTokens(), maxPositions - longest);
        int capacity = longest + maxNew;
        int[] pad = new int[b];
        for (int i = 0; i < b; i++) {
            pad[i] = longest - prompts.get(i).tokenIds().length;
        }
        SplittableRandom[] rngs = new SplittableRandom[b];
        for (int i = 0; i < b; i++) {
            rngs[i] = new SplittableRandom(prompts.get(i).seed());
        }
        int[][] tokens = new int[b][maxNew];
        float[][] logProbs = new float[b][maxNew];
        int[] lengths = new int[b];
        FinishReason[] reasons = new FinishReason[b];
        String[] texts = new String[b];
        int open = b;
        float masked = LlamaModel.maskedValue();
        boolean ragged = Arrays.stream(pad).anyMatch(p -> p > 0);
        int window = model.config().slidingWindow();

        try (NDManager generation = Scopes.named(model.manager(), "generate")) {
            KvCache cache = new KvCache(generation, model.config(), b, capacity, model.dtype());
            // 1. prefill: all prompts at once, causal within a row, padding keys masked
            long[] ids = new long[b * longest];
            long[] positions = new long[b * longest];
            float[] bias = new float[b * longest * longest];
            for (int i = 0; i < b; i++) {
                int[] p = prompts.get(i).tokenIds();
                for (int j = 0; j < longest; j++) {
                    ids[i * longest + j] = j < pad[i] ? 0 : p[j - pad[i]];
                    positions[i * longest + j] = Math.max(0, j - pad[i]);
                    for (int k = 0; k < longest; k++) {
                        // A padding query may see itself only, which keeps its softmax finite.
                        boolean visible = LlamaModel.visible(j, k, window) && (k >= pad[i] || k == j);
                        bias[(i * longest + j) * longest + k] = visible ? 0f : masked;
                    }
                }
            }
            float[] probs;
            try (NDManager step = Scopes.named(generation, "prefill")) {
                probs = nextProbabilities(step, cache, ids, positions, bias, b, longest, 0, params);
            }
            // 2. decode: sample, then feed the sampled token back, until every row stopped
            for (int n = 0; n < maxNew && open > 0; n++) {
                long[] next = new long[b];
                for (int i = 0; i < b; i++) {
                    if (reasons[i] != null) {
                        continue;
                    }
                    int tok = params.isGreedy()
                            ? TokenSampler.argmax(probs, i * vocab, vocab)
                            : TokenSampler.sample(probs, i * vocab, vocab, params, rngs[i]);
                    next[i] = tok;
                    tokens[i][n] = tok;
                    logProbs[i][n] = (float) Math.log(probs[i * vocab + tok]);
                    lengths[i] = n + 1;
                    String[] cut = new String[1];
                    FinishReason r = Stops.reason(tokenizer, params, tokens[i], lengths[i], cut);
                    texts[i] = cut[0];
                    if (r == null && lengths[i] == maxNew) {
                        r = FinishReason.LENGTH;
                    }
                    if (r != null) {
                        reasons[i] = r;
                        open--;
                    }
                }
                if (listener != null) {
                    listener.onStep(n + 1, Arrays.stream(lengths).asLongStream().sum(), open);
                }
                if (open == 0 || n == maxNew - 1) {
                    break;
                }
                int s = longest + n + 1;
                long[] pos = new long[b];
                // without padding or a window that has started to slide, every key is visible
                boolean windowed = window > 0 && s > window;
                float[] keyBias = ragged || windowed ? new float[b * s] : null;
                for (int i = 0; i < b; i++) {
                    pos[i] = longest - pad[i] + n;
                    if (ragged) {
                        Arrays.fill(keyBias, i * s, i * s + pad[i], masked);
                    }
                    if (windowed) {
                        Arrays.fill(keyBias, i * s, i * s + (s - window), masked); // keys at or before q - window
                    }
                }
                try (NDManager step = Scopes.named(generation, "decode")) {
                    probs = nextProbabilities(step, cache, next, pos, keyBias, b, 1, longest + n, params);
                }
            }
        }
        List<Completion> out = new ArrayList<>(b);
        for (int i = 0; i < b; i++) {
            int[] ids = Arrays.copyOf(tokens[i], lengths[i]);
            String text = texts[i] != null ? texts[i] : tokenizer.decode(ids, true);
            out.add(new Completion(text, ids, Arrays.copyOf(logProbs[i], lengths[i]), reasons[i]));
        }
        return out;
    }

    /** Runs the model on (B, T) tokens and returns the (B, V) next-token probabilities of the last position. */
    private float[] nextProbabilities(
            NDManager step,
            KvCache cache,
            long[] ids,
            long[] positions,
            float[] bias,
            int b,
            int t,
            int start,
            SamplingParams params) {
        NDArray idArray = step.create(ids, new Shape(b, t));
        NDArray posArray = step.create(positions, new Shape(b, t));
        int s = start + t;
        NDArray biasArray = bias == null ? null : step.create(bias, new Shape(b, 1, 1, t, s));
        NDArray hidden = model.forward(step, idArray, posArray, biasArray, cache, start, false, adapter);
        NDArray last = t == 1 ? hidden : hidden.get(":, -1:, :");
        NDArray logits = model.logits(last).reshape(b, model.config().vocabSize());
        if (!params.isGreedy() && params.temperature() != 1.0) {
            logits = logits.div((float) params.temperature());
        }
        return logits.softmax(-1).toFloatArray();
    }
}
