package dev.revise.policies.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.revise.policies.model.KvCache;
import dev.revise.policies.model.LlamaModel;
import dev.revise.policies.model.LowRankAdapter;
import dev.revise.rl.Completion;
import dev.revise.rl.DecodeSession;
import dev.revise.rl.FinishReason;
import dev.revise.rl.PrefillStats;
import dev.revise.rl.Prompt;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.TextTokenizer;
import dev.revise.rl.train.Scopes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@link DecodeSession} over a {@link LlamaModel}: a KV cache of {@code slots} rows (one per
 * sequence) that lives as long as the session, each row at its own length.
 *
 * <p>A step of {@link #next}: (1) admit queued prompts (a continuing key into its own slot, a new
 * one into a free slot); (2) find what each admitted prompt's keys and values already are in the
 * cache: the longest common prefix with its own slot's tokens, else with any other slot's (a
 * group's shared prompt), copied across; prompts identical to another admitted in the same step
 * wait for its prefill and copy it whole; (3) one ragged prefill of the remaining tokens, every row
 * writing at its own columns; (4) decode steps of one token for every decoding row, until one
 * stops. Rows are independent: masks cover only a row's own columns, and its positions are its
 * own, so a row's numbers are those of {@link LlamaGenerator#generate} up to float rounding.
 *
 * <p>Memory: the cache in the session's scope (grown by half when a sequence outgrows it); each
 * forward's tensors in a scope closed after it.
 */
final class LlamaDecodeSession implements DecodeSession {
    private final LlamaModel model;
    private final TextTokenizer tokenizer;
    private final LowRankAdapter adapter;
    private final SamplingParams params;
    private final NDManager scope;
    private final Slot[] slots;
    private final Map<Long, Slot> byKey = new HashMap<>();
    private final Map<Long, Prompt> queue = new LinkedHashMap<>();
    private final Map<Long, Long> submitted = new HashMap<>();
    private final int vocab;
    private final float masked = LlamaModel.maskedValue();
    private KvCache cache;
    private PrefillStats stats = PrefillStats.NONE;
    private long submissions;
    private long finishes;
    private boolean closed;

    /** One cache row: the tokens whose keys and values it holds, and the sequence decoding in it. */
    private static final class Slot {
        final int index;
        long key = -1;
        int[] held = new int[0]; // tokens whose keys and values are in columns [0, length)
        int length;
        // the turn in progress
        boolean decoding;
        long order;
        int maxNew;
        SplittableRandom rng;
        int[] out;
        float[] logProbs;
        int n;
        String text;
        FinishReason reason;
        long finishedAt;
        PrefillStats turn;

        Slot(int index) {
            this.index = index;
        }

        void hold(int[] tokens, int upTo) {
            if (held.length < upTo) {
                held = Arrays.copyOf(held, Math.max(upTo, held.length * 2));
            }
            System.arraycopy(tokens, 0, held, 0, upTo);
            length = upTo;
        }

        void append(int token) {
            if (held.length == length) {
                held = Arrays.copyOf(held, Math.max(16, length * 2));
            }
            held[length++] = token;
        }
    }

    LlamaDecodeSession(
            LlamaModel model, TextTokenizer tokenizer, LowRankAdapter adapter, int slots, SamplingParams params) {
        if (slots < 1) {
            throw new IllegalArgumentException("a decode session needs at least one slot, got " + slots);
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.adapter = adapter;
        this.params = params;
        this.vocab = model.config().vocabSize();
        this.scope = Scopes.named(model.manager(), "decode-session");
        this.slots = new Slot[slots];
        for (int i = 0; i < slots; i++) {
            this.slots[i] = new Slot(i);
        }
    }

    @Override
    public void submit(long key, Prompt prompt) {
        checkOpen();
        int limit = model.config().positionLimit();
        for (int id : prompt.tokenIds()) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("prompt token id " + id + " is outside the vocabulary of " + vocab);
            }
        }
        if (prompt.tokenIds().length >= limit) {
            throw new IllegalArgumentException("prompt of " + prompt.tokenIds().length
                    + " tokens leaves no room in the model's " + limit + " positions");
        }
        Slot s = byKey.get(key);
        if (queue.containsKey(key) || (s != null && s.decoding)) {
            throw new IllegalStateException("sequence " + key + " already has a prompt queued or decoding");
        }
        queue.put(key, prompt);
        submitted.put(key, submissions++);
    }

    @Override
    public void release(long key) {
        checkOpen();
        Slot s = byKey.remove(key);
        if (s == null) {
            return;
        }
        if (s.decoding) {
            throw new IllegalStateException("sequence " + key + " is still decoding");
        }
        s.key = -1;
        s.length = 0;
    }

    @Override
    public PrefillStats stats() {
        return stats;
    }

    @Override
    public List<Finished> next() {
        checkOpen();
        boolean wasGrad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        int threads = JniUtils.getNumThreads();
        try {
            List<Slot> done = new ArrayList<>();
            while (true) {
                admit(done, threads);
                if (!done.isEmpty()) {
                    return finished(done);
                }
                List<Slot> decoding = decoding();
                if (decoding.isEmpty()) {
                    if (!queue.isEmpty()) {
                        throw new IllegalStateException(queue.size() + " prompts wait for a slot, and all "
                                + slots.length + " slots hold sequences that are not released");
                    }
                    return List.of();
                }
                decodeStep(decoding, done, threads);
                if (!done.isEmpty()) {
                    return finished(done);
                }
            }
        } finally {
            JniUtils.setGradMode(wasGrad);
            if (JniUtils.getNumThreads() != threads) {
                JniUtils.setNumThreads(threads);
            }
        }
    }

    // 1.-3. admission, prefix reuse and the ragged prefill
    private void admit(List<Slot> done, int threads) {
        if (queue.isEmpty()) {
            return;
        }
        List<Slot> admitted = new ArrayList<>();
        List<int[]> prompts = new ArrayList<>();
        for (Iterator<Map.Entry<Long, Prompt>> it = queue.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, Prompt> e = it.next();
            Slot s = byKey.get(e.getKey());
            if (s == null) {
                s = freeSlot();
                if (s == null) {
                    continue; // a continuing key further on may still go in
                }
                s.key = e.getKey();
                s.length = 0;
                byKey.put(e.getKey(), s);
            }
            it.remove();
            start(s, e.getValue());
            admitted.add(s);
            prompts.add(e.getValue().tokenIds());
        }
        if (admitted.isEmpty()) {
            return;
        }
        // what each admitted prompt already has in the cache
        int[] from = new int[admitted.size()];
        int[] leaderOf = new int[admitted.size()];
        for (int i = 0; i < admitted.size(); i++) {
            Slot s = admitted.get(i);
            int[] p = prompts.get(i);
            leaderOf[i] = -1;
            if (s.length > 0) {
                int common = commonPrefix(s.held, s.length, p);
                boolean extension = common == s.length;
                int reuse = Math.min(common, p.length - 1); // the last prompt token is run for its logits
                s.length = reuse;
                s.turn = new PrefillStats(p.length - reuse, reuse, 0, extension ? 0 : 1);
                from[i] = reuse;
            }
        }
        for (int i = 0; i < admitted.size(); i++) {
            Slot s = admitted.get(i);
            if (s.turn != null) {
                continue;
            }
            int[] p = prompts.get(i);
            for (int j = 0; j < i && leaderOf[i] < 0; j++) {
                if (leaderOf[j] < 0 && Arrays.equals(prompts.get(j), p)) {
                    leaderOf[i] = j;
                }
            }
            if (leaderOf[i] >= 0) {
                s.turn = new PrefillStats(0, 0, p.length, 0);
                continue;
            }
            Slot donor = null;
            int best = 0;
            for (Slot o : slots) {
                if (o != s && o.key >= 0 && o.length > best) {
                    int common = commonPrefix(o.held, o.length, p);
                    if (common > best) {
                        best = common;
                        donor = o;
                    }
                }
            }
            int shared = Math.min(best, p.length - 1);
            if (shared > 0) {
                ensureCache(shared);
                cache.copySlot(donor.index, s.index, shared);
                s.hold(p, shared);
            }
            s.turn = new PrefillStats(p.length - shared, 0, shared, 0);
            from[i] = shared;
        }
        List<Integer> run = new ArrayList<>();
        for (int i = 0; i < admitted.size(); i++) {
            if (leaderOf[i] < 0) {
                run.add(i);
            }
        }
        run.sort(Comparator.comparingInt(i -> admitted.get(i).index));
        float[] probs = prefill(admitted, prompts, from, run, threads);
        int[] rowOf = new int[admitted.size()];
        for (int r = 0; r < run.size(); r++) {
            int i = run.get(r);
            rowOf[i] = r;
            admitted.get(i).hold(prompts.get(i), prompts.get(i).length);
        }
        for (int i = 0; i < admitted.size(); i++) {
            Slot s = admitted.get(i);
            int row = rowOf[leaderOf[i] < 0 ? i : leaderOf[i]];
            if (leaderOf[i] >= 0) {
                Slot leader = admitted.get(leaderOf[i]);
                cache.copySlot(leader.index, s.index, prompts.get(i).length);
                s.hold(prompts.get(i), prompts.get(i).length);
            }
            stats = stats.plus(s.turn);
            sample(s, probs, row, done);
        }
    }

    /** One forward over the admitted rows' new tokens, each written at its own columns: (rows, V) probabilities. */
    private float[] prefill(List<Slot> admitted, List<int[]> prompts, int[] from, List<Integer> run, int threads) {
        int b = run.size();
        int t = 0;
        int reach = 0;
        for (int i : run) {
            t = Math.max(t, prompts.get(i).length - from[i]);
        }
        for (int i : run) {
            reach = Math.max(reach, from[i] + t);
        }
        ensureCache(reach);
        int window = model.config().slidingWindow();
        long[] slotIds = new long[b];
        long[][] columns = new long[b][t];
        long[] ids = new long[b * t];
        long[] positions = new long[b * t];
        long[] last = new long[b];
        float[] bias = new float[b * t * reach];
        boolean contiguous = true;
        for (int r = 0; r < b; r++) {
            int i = run.get(r);
            int[] p = prompts.get(i);
            Slot s = admitted.get(i);
            slotIds[r] = s.index;
            contiguous &= s.index == r;
            last[r] = p.length - from[i] - 1;
            for (int j = 0; j < t; j++) {
                int pos = from[i] + j;
                columns[r][j] = pos;
                positions[r * t + j] = pos;
                ids[r * t + j] = pos < p.length ? p[pos] : 0;
                int off = (r * t + j) * reach;
                for (int c = 0; c < reach; c++) {
                    bias[off + c] = c <= pos && LlamaModel.visible(pos, c, window) ? 0f : masked;
                }
            }
        }
        threadsFor(b * (long) t, threads);
        try (NDManager step = Scopes.named(scope, "prefill")) {
            cache.place(step, slotIds, columns, contiguous);
            NDArray hidden = model.forward(
                    step,
                    step.create(ids, new Shape(b, t)),
                    step.create(positions, new Shape(b, t)),
                    step.create(bias, new Shape(b, 1, 1, t, reach)),
                    cache,
                    reach - t,
                    false,
                    adapter);
            NDArray rows = step.arange(0, b, 1, ai.djl.ndarray.types.DataType.INT64);
            NDArray at = step.create(last);
            NDArray lastHidden = JniUtils.indexAdv(
                    (PtNDArray) hidden, new NDIndex("{}, {}", rows, at), (PtNDManager) step); // (B, D)
            return probabilities(lastHidden);
        } finally {
            cache.clearPlacement();
        }
    }

    // 4. one decode step for every decoding row
    private void decodeStep(List<Slot> decoding, List<Slot> done, int threads) {
        int hi = decoding.get(decoding.size() - 1).index + 1;
        // gather the decoding rows when idle slots would cost more than the gather
        boolean contiguous = decoding.size() * 4 >= hi * 3;
        List<Slot> rows = contiguous ? Arrays.asList(slots).subList(0, hi) : decoding;
        int b = rows.size();
        int reach = 0;
        int columnsNeeded = 0;
        for (Slot s : rows) {
            columnsNeeded = Math.max(columnsNeeded, s.length + 1);
            if (s.decoding) {
                reach = Math.max(reach, s.length + 1);
            }
        }
        ensureCache(columnsNeeded);
        int window = model.config().slidingWindow();
        long[] slotIds = new long[b];
        long[][] columns = new long[b][1];
        long[] ids = new long[b];
        long[] positions = new long[b];
        float[] bias = new float[b * reach];
        for (int r = 0; r < b; r++) {
            Slot s = rows.get(r);
            slotIds[r] = s.index;
            columns[r][0] = s.length; // an idle row writes past what it holds: never read
            if (s.decoding) {
                ids[r] = s.out[s.n - 1];
                positions[r] = s.length;
                for (int c = 0; c < reach; c++) {
                    bias[r * reach + c] = c <= s.length && LlamaModel.visible(s.length, c, window) ? 0f : masked;
                }
            } else {
                Arrays.fill(bias, r * reach + 1, (r + 1) * reach, masked); // sees one key: a finite softmax
            }
        }
        threadsFor(b, threads);
        float[] probs;
        try (NDManager step = Scopes.named(scope, "decode")) {
            cache.place(step, slotIds, columns, contiguous);
            NDArray hidden = model.forward(
                    step,
                    step.create(ids, new Shape(b, 1)),
                    step.create(positions, new Shape(b, 1)),
                    step.create(bias, new Shape(b, 1, 1, 1, reach)),
                    cache,
                    reach - 1,
                    false,
                    adapter);
            probs = probabilities(hidden);
        } finally {
            cache.clearPlacement();
        }
        for (int r = 0; r < b; r++) {
            Slot s = rows.get(r);
            if (s.decoding) {
                s.append(s.out[s.n - 1]);
                sample(s, probs, r, done);
            }
        }
    }

    private float[] probabilities(NDArray hidden) {
        NDArray logits = model.logits(hidden); // (B, V) or (B, 1, V): read flat, row by row
        if (!params.isGreedy() && params.temperature() != 1.0) {
            logits = logits.div((float) params.temperature());
        }
        return logits.softmax(-1).toFloatArray();
    }

    /** Draws slot {@code s}'s next token from row {@code row} of {@code probs}; a stopped row goes to {@code done}. */
    private void sample(Slot s, float[] probs, int row, List<Slot> done) {
        int tok = params.isGreedy()
                ? TokenSampler.argmax(probs, row * vocab, vocab)
                : TokenSampler.sample(probs, row * vocab, vocab, params, s.rng);
        s.out[s.n] = tok;
        s.logProbs[s.n] = (float) Math.log(probs[row * vocab + tok]);
        s.n++;
        String[] text = new String[1];
        FinishReason reason = Stops.reason(tokenizer, params, s.out, s.n, text);
        if (reason == null && s.n == s.maxNew) {
            reason = FinishReason.LENGTH;
        }
        if (reason != null) {
            s.text = text[0] != null ? text[0] : tokenizer.decode(Arrays.copyOf(s.out, s.n), true);
            s.reason = reason;
            s.finishedAt = finishes++;
            s.decoding = false;
            s.rng = null;
            done.add(s);
        }
    }

    private List<Finished> finished(List<Slot> done) {
        done.sort(Comparator.comparingLong(s -> s.order));
        List<Finished> out = new ArrayList<>(done.size());
        for (Slot s : done) {
            Completion c = new Completion(s.text, Arrays.copyOf(s.out, s.n), Arrays.copyOf(s.logProbs, s.n), s.reason);
            out.add(new Finished(s.key, c, s.turn));
        }
        return out;
    }

    private void start(Slot s, Prompt prompt) {
        int limit = model.config().positionLimit();
        s.decoding = true;
        s.order = submitted.remove(s.key);
        s.maxNew = Math.min(params.maxNewTokens(), limit - prompt.tokenIds().length);
        s.rng = new SplittableRandom(prompt.seed());
        s.out = new int[s.maxNew];
        s.logProbs = new float[s.maxNew];
        s.n = 0;
        s.text = null;
        s.turn = null;
    }

    private List<Slot> decoding() {
        List<Slot> out = new ArrayList<>();
        for (Slot s : slots) {
            if (s.decoding) {
                out.add(s);
            }
        }
        return out;
    }

    /** An empty slot, else the one whose sequence finished longest ago and is not queued again (evicted). */
    private Slot freeSlot() {
        Slot oldest = null;
        for (Slot s : slots) {
            if (s.key < 0) {
                return s;
            }
            if (!s.decoding && !queue.containsKey(s.key) && (oldest == null || s.finishedAt < oldest.finishedAt)) {
                oldest = s;
            }
        }
        if (oldest != null) {
            byKey.remove(oldest.key);
            oldest.key = -1;
            oldest.length = 0;
        }
        return oldest;
    }

    private void ensureCache(int columns) {
        if (cache == null) {
            int capacity = Math.max(columns, 1) + params.maxNewTokens();
            cache = new KvCache(scope, model.config(), slots.length, capacity, model.dtype());
        }
        cache.ensureCapacity(columns);
    }

    /** One intra-op thread for tiny forwards (see {@link LlamaGenerator#SINGLE_THREAD_MACS}). */
    private void threadsFor(long tokens, int threads) {
        boolean single = threads > 1 && tokens * model.config().parameterCount() < LlamaGenerator.SINGLE_THREAD_MACS;
        int want = single ? 1 : threads;
        if (JniUtils.getNumThreads() != want) {
            JniUtils.setNumThreads(want);
        }
    }

    private static int commonPrefix(int[] a, int aLength, int[] b) {
        int n = Math.min(aLength, b.length);
        int i = 0;
        while (i < n && a[i] == b[i]) {
            i++;
        }
        return i;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the decode session is closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            scope.close();
        }
    }
}
