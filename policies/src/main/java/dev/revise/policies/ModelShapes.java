package dev.revise.policies;

import dev.revise.policies.model.LlamaConfig;
import dev.revise.policies.model.RopeScaling;
import dev.revise.policies.tokenizer.CharTokenizer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Named model shapes for {@code init} and {@code bench} (random weights; untied, RoPE theta 1e4,
 * RMSNorm eps 1e-5 unless stated).
 */
public final class ModelShapes {
    private static final Map<String, LlamaConfig> SHAPES = new LinkedHashMap<>();

    static {
        SHAPES.put("tiny", LlamaConfig.of(64, 128, 4, 4, 4, 352, false, 1e4));
        SHAPES.put("small", LlamaConfig.of(1024, 256, 4, 8, 4, 704, false, 1e4));
        SHAPES.put(
                "smollm2-135m",
                LlamaConfig.of(49152, 576, 30, 9, 3, 1536, true, 1e5).withMaxPositions(8192));
        // the shapes of real checkpoints (random weights): Qwen2.5-0.5B, Qwen3-0.6B, Llama-3.2-1B
        SHAPES.put(
                "qwen2.5-0.5b",
                LlamaConfig.of(151936, 896, 24, 14, 2, 4864, true, 1e6)
                        .withRmsNormEps(1e-6)
                        .withFamily("qwen2", true, false, false, false, 0)
                        .withMaxPositions(32768));
        SHAPES.put(
                "qwen3-0.6b",
                LlamaConfig.of(151936, 1024, 28, 16, 8, 3072, true, 1e6)
                        .withRmsNormEps(1e-6)
                        .withFamily("qwen3", false, false, false, true, 0)
                        .withHeadDim(128)
                        .withMaxPositions(40960));
        SHAPES.put(
                "llama3.2-1b",
                LlamaConfig.of(128256, 2048, 16, 32, 8, 8192, true, 5e5)
                        .withRope(5e5, RopeScaling.llama3(32, 1, 4, 8192))
                        .withHeadDim(64)
                        .withMaxPositions(131072));
        // larger real shapes, for memory estimates (train --dry-run, bench --workload memory)
        SHAPES.put(
                "qwen2.5-1.5b",
                LlamaConfig.of(151936, 1536, 28, 12, 2, 8960, true, 1e6)
                        .withRmsNormEps(1e-6)
                        .withFamily("qwen2", true, false, false, false, 0)
                        .withMaxPositions(32768));
        SHAPES.put(
                "qwen2.5-7b",
                LlamaConfig.of(152064, 3584, 28, 28, 4, 18944, false, 1e6)
                        .withRmsNormEps(1e-6)
                        .withFamily("qwen2", true, false, false, false, 0)
                        .withMaxPositions(32768));
        SHAPES.put(
                "llama3.1-8b",
                LlamaConfig.of(128256, 4096, 32, 32, 8, 14336, false, 5e5)
                        .withRope(5e5, RopeScaling.llama3(8, 1, 4, 8192))
                        .withHeadDim(128)
                        .withMaxPositions(131072));
    }

    private ModelShapes() {}

    public static List<String> names() {
        return List.copyOf(SHAPES.keySet());
    }

    /** The shape named {@code name}; the error lists the known names. */
    public static LlamaConfig named(String name) {
        LlamaConfig c = SHAPES.get(name);
        if (c == null) {
            throw new IllegalArgumentException(
                    "unknown shape '" + name + "'; known shapes: " + String.join(", ", SHAPES.keySet()));
        }
        return c;
    }

    /**
     * A character-level tokenizer that fits in {@code vocabSize}: printable ASCII plus newline when
     * there is room (100 ids), else digits, arithmetic, punctuation, Q, A and lower-case letters (57 ids).
     */
    public static CharTokenizer defaultTokenizer(int vocabSize) {
        StringBuilder printable = new StringBuilder("\n");
        for (char c = ' '; c <= '~'; c++) {
            printable.append(c);
        }
        if (vocabSize >= printable.length() + 4) {
            return CharTokenizer.of(printable.toString(), List.of());
        }
        String compact = "0123456789+-*/=():;|.,?\n QAabcdefghijklmnopqrstuvwxyz"; // covers the synthetic task
        if (vocabSize < compact.length() + 4) {
            throw new IllegalArgumentException("vocab_size " + vocabSize + " is too small for the built-in tokenizer ("
                    + (compact.length() + 4) + " ids)");
        }
        return CharTokenizer.of(compact, List.of());
    }
}
