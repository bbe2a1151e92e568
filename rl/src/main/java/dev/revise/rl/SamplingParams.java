package dev.revise.rl;

import java.util.List;
import java.util.Set;

/**
 * How to sample completions.
 *
 * @param temperature softmax temperature; 0 means greedy decoding (argmax)
 * @param topK keep only the k most likely tokens; 0 disables
 * @param topP keep the smallest set of tokens whose probability reaches p; 1 disables
 * @param maxNewTokens hard cap on generated tokens per sequence
 * @param stopTokenIds token ids that end a sequence (kept in the completion)
 * @param stopStrings strings that end a sequence (cut from the completion text)
 */
public record SamplingParams(
        double temperature,
        int topK,
        double topP,
        int maxNewTokens,
        Set<Integer> stopTokenIds,
        List<String> stopStrings) {

    public SamplingParams {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0 (0 disables), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
        }
        stopTokenIds = Set.copyOf(stopTokenIds);
        stopStrings = List.copyOf(stopStrings);
        for (String s : stopStrings) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("stopStrings must not contain an empty string");
            }
        }
    }

    /** Temperature-1 sampling without truncation. */
    public static SamplingParams sample(int maxNewTokens) {
        return new SamplingParams(1.0, 0, 1.0, maxNewTokens, Set.of(), List.of());
    }

    /** Greedy decoding, as used by evaluation. */
    public static SamplingParams greedy(int maxNewTokens) {
        return new SamplingParams(0.0, 0, 1.0, maxNewTokens, Set.of(), List.of());
    }

    public boolean isGreedy() {
        return temperature == 0.0;
    }

    public SamplingParams withTemperature(double t) {
        return new SamplingParams(t, topK, topP, maxNewTokens, stopTokenIds, stopStrings);
    }

    public SamplingParams withTopK(int k) {
        return new SamplingParams(temperature, k, topP, maxNewTokens, stopTokenIds, stopStrings);
    }

    public SamplingParams withTopP(double p) {
        return new SamplingParams(temperature, topK, p, maxNewTokens, stopTokenIds, stopStrings);
    }

    public SamplingParams withStopTokenIds(Set<Integer> ids) {
        return new SamplingParams(temperature, topK, topP, maxNewTokens, ids, stopStrings);
    }

    public SamplingParams withStopStrings(List<String> strings) {
        return new SamplingParams(temperature, topK, topP, maxNewTokens, stopTokenIds, strings);
    }
}
