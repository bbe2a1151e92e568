package dev.revise.policies.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.revise.policies.checkpoint.CheckpointException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * config.json as transformers 5.18 reads it: both layouts, per-family defaults, eos lists, and
 * every unimplemented key that changes the math refused by name.
 */
class LlamaConfigJsonTest {
    @TempDir
    Path dir;

    /** As transformers 5.18 save_pretrained writes a Qwen3 config (rope settings inside rope_parameters). */
    static final String QWEN3_V5 =
            """
            {"architectures": ["Qwen3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
             "bos_token_id": null, "dtype": "bfloat16", "eos_token_id": [5, 6], "head_dim": 24,
             "hidden_act": "silu", "hidden_size": 64, "initializer_range": 0.02, "intermediate_size": 96,
             "layer_types": ["full_attention", "full_attention"], "max_position_embeddings": 128,
             "max_window_layers": 28, "model_type": "qwen3", "num_attention_heads": 4, "num_hidden_layers": 2,
             "num_key_value_heads": 2, "pad_token_id": null, "rms_norm_eps": 1e-06,
             "rope_parameters": {"factor": 4.0, "original_max_position_embeddings": 32,
                                 "rope_theta": 1000000.0, "rope_type": "yarn"},
             "sliding_window": null, "tie_word_embeddings": true, "transformers_version": "5.18.0",
             "use_cache": true, "use_sliding_window": false, "vocab_size": 300}
            """;

    /** The same model in the 4.x layout of Hub checkpoints. */
    static final String QWEN3_V4 =
            """
            {"architectures": ["Qwen3ForCausalLM"], "attention_bias": false, "bos_token_id": null,
             "torch_dtype": "bfloat16", "eos_token_id": [5, 6], "head_dim": 24, "hidden_act": "silu",
             "hidden_size": 64, "intermediate_size": 96, "max_position_embeddings": 128, "model_type": "qwen3",
             "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 2, "rms_norm_eps": 1e-06,
             "rope_theta": 1000000.0,
             "rope_scaling": {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32},
             "sliding_window": null, "tie_word_embeddings": true, "use_sliding_window": false, "vocab_size": 300}
            """;

    /** Llama 3.2 Instruct's config.json (shape shrunk), with its rope_scaling and eos list. */
    static final String LLAMA32 =
            """
            {"architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
             "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009], "head_dim": 64, "hidden_act": "silu",
             "hidden_size": 128, "initializer_range": 0.02, "intermediate_size": 256,
             "max_position_embeddings": 131072, "mlp_bias": false, "model_type": "llama", "num_attention_heads": 4,
             "num_hidden_layers": 2, "num_key_value_heads": 2, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
             "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                              "original_max_position_embeddings": 8192, "rope_type": "llama3"},
             "rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
             "transformers_version": "4.45.0.dev0", "use_cache": true, "vocab_size": 128256}
            """;

    /** SmolLM2-135M's config.json: keys transformers' Llama does not read (is_llama_config, rope_interleaved). */
    static final String SMOLLM2 =
            """
            {"architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
             "bos_token_id": 0, "eos_token_id": 0, "hidden_act": "silu", "hidden_size": 576,
             "initializer_range": 0.041666666666666664, "intermediate_size": 1536, "is_llama_config": true,
             "max_position_embeddings": 8192, "mlp_bias": false, "model_type": "llama", "num_attention_heads": 9,
             "num_hidden_layers": 30, "num_key_value_heads": 3, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
             "rope_interleaved": false, "rope_scaling": null, "rope_theta": 100000, "tie_word_embeddings": true,
             "torch_dtype": "bfloat16", "transformers.js_config": {"kv_cache_dtype": {"q4f16": "float16"}},
             "transformers_version": "4.42.3", "use_cache": true, "vocab_size": 49152}
            """;

    private LlamaConfigJson.Read read(String json) throws IOException {
        Path f = dir.resolve("config.json");
        Files.writeString(f, json);
        return LlamaConfigJson.read(f);
    }

    private String refusal(String json) {
        return assertThrows(CheckpointException.class, () -> read(json)).getMessage();
    }

    @Test
    void bothLayoutsReadTheSameModel() throws IOException {
        LlamaConfigJson.Read v5 = read(QWEN3_V5);
        LlamaConfigJson.Read v4 = read(QWEN3_V4);
        assertEquals(v5.config(), v4.config());
        LlamaConfig c = v5.config();
        assertEquals(1_000_000.0, c.ropeTheta()); // rope_parameters used to be ignored: theta fell back to 1e4
        assertEquals("yarn", c.ropeScaling().type());
        assertEquals(4.0, c.ropeScaling().factor());
        assertEquals(32, c.ropeScaling().originalMaxPositions());
        assertEquals(0.1 * Math.log(4) + 1, c.ropeScaling().attentionFactor(), 1e-12);
        assertEquals(24, c.headDim());
        assertEquals(true, c.qkNorm());
        assertEquals(List.of(5, 6), c.eosTokenIds());
        assertEquals("bfloat16", v5.dtype());
        assertEquals("bfloat16", v4.dtype());
    }

    @Test
    void llama3RopeScalingAndEveryEosIdAreKept() throws IOException {
        LlamaConfig c = read(LLAMA32).config();
        assertEquals(RopeScaling.llama3(32, 1, 4, 8192), c.ropeScaling());
        assertEquals(500_000.0, c.ropeTheta());
        assertEquals(List.of(128001, 128008, 128009), c.eosTokenIds());
        assertEquals(128000, c.bosTokenId());
        assertEquals(64, c.headDim());
    }

    @Test
    void keysTransformersDoesNotReadAreListedNotRefused() throws IOException {
        LlamaConfigJson.Read r = read(SMOLLM2);
        assertThat(r.ignored())
                .containsExactlyInAnyOrder("is_llama_config", "rope_interleaved", "transformers.js_config");
        assertEquals(100000.0, r.config().ropeTheta());
        assertEquals(64, r.config().headDim());
        assertEquals(List.of(0), r.config().eosTokenIds());
    }

    @Test
    void familyDefaultsAreTransformers() throws IOException {
        String minimal = "{\"model_type\": \"%s\", \"vocab_size\": 64, \"hidden_size\": 64, \"intermediate_size\": 32,"
                + " \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"num_key_value_heads\": 2}";
        LlamaConfig qwen3 = read(minimal.formatted("qwen3")).config();
        assertEquals(128, qwen3.headDim()); // Qwen3Config.head_dim defaults to 128, not hidden / heads
        assertEquals(true, qwen3.qkNorm());
        assertEquals(false, qwen3.attentionBias());
        LlamaConfig qwen2 = read(minimal.formatted("qwen2")).config();
        assertEquals(16, qwen2.headDim());
        assertEquals(true, qwen2.attentionBias()); // Qwen2Attention always has q/k/v bias
        assertEquals(false, qwen2.outputBias());
        LlamaConfig mistral = read(minimal.formatted("mistral")).config();
        assertEquals(4096, mistral.slidingWindow()); // MistralConfig's default when the key is missing
        LlamaConfig llama = read(minimal.formatted("llama")).config();
        assertEquals(List.of(2), llama.eosTokenIds());
        assertEquals(1e-6, llama.rmsNormEps());
        assertEquals(10000.0, llama.ropeTheta());
        assertEquals(2048, llama.maxPositionEmbeddings());
    }

    @Test
    void slidingWindows() throws IOException {
        String base = "{\"model_type\": \"%s\", \"vocab_size\": 64, \"hidden_size\": 64, \"intermediate_size\": 32,"
                + " \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"num_key_value_heads\": 2, %s}";
        assertEquals(
                16,
                read(base.formatted("mistral", "\"sliding_window\": 16"))
                        .config()
                        .slidingWindow());
        assertEquals(
                0,
                read(base.formatted("mistral", "\"sliding_window\": null"))
                        .config()
                        .slidingWindow());
        assertEquals(
                0,
                read(base.formatted("qwen2", "\"use_sliding_window\": false, \"sliding_window\": 16"))
                        .config()
                        .slidingWindow());
        assertEquals(
                16,
                read(base.formatted(
                                "qwen2",
                                "\"use_sliding_window\": true, \"sliding_window\": 16, \"max_window_layers\": 0"))
                        .config()
                        .slidingWindow());
        String mixed = refusal(base.formatted(
                "qwen2", "\"use_sliding_window\": true, \"sliding_window\": 16, \"max_window_layers\": 1"));
        assertThat(mixed).contains("config.json").contains("use_sliding_window").contains("1 of 2 layers");
    }

    @Test
    void unimplementedMathIsRefusedByKeyAndValue() {
        String base = "{\"model_type\": \"llama\", \"vocab_size\": 64, \"hidden_size\": 64, \"intermediate_size\": 32,"
                + " \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"num_key_value_heads\": 2, %s}";
        assertThat(refusal(base.formatted("\"rope_scaling\": {\"rope_type\": \"longrope\", \"factor\": 2.0}")))
                .contains("config.json")
                .contains("rope_scaling.rope_type")
                .contains("longrope");
        assertThat(refusal(base.formatted("\"rope_scaling\": {\"type\": \"su\", \"factor\": 2.0}")))
                .contains("rope_scaling.type")
                .contains("'su'");
        assertThat(refusal(base.formatted("\"quantization_config\": {\"quant_method\": \"awq\"}")))
                .contains("quantization_config")
                .contains("awq");
        assertThat(refusal(base.formatted("\"hidden_act\": \"gelu\"")))
                .contains("hidden_act")
                .contains("gelu");
        assertThat(refusal(base.formatted("\"partial_rotary_factor\": 0.5")))
                .contains("partial_rotary_factor")
                .contains("0.5");
        assertThat(refusal(base.formatted("\"attention_dropout\": 0.1"))).contains("attention_dropout");
        assertThat(refusal(base.formatted("\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0}")))
                .contains("rope_scaling.low_freq_factor")
                .contains("missing");
        assertThat(refusal("{\"model_type\": \"gemma\"}")).contains("model_type 'gemma'");
    }

    @Test
    void writtenConfigsReadBackIdentically() throws IOException {
        LlamaConfig[] configs = {
            read(QWEN3_V5).config(),
            read(LLAMA32).config(),
            LlamaConfig.of(64, 32, 2, 4, 2, 48, false, 1e4).withFamily("qwen2", true, false, false, false, 0),
            LlamaConfig.of(64, 32, 2, 4, 2, 48, false, 1e4)
                    .withFamily("mistral", false, false, false, false, 8)
                    .withRope(1e4, RopeScaling.dynamic(2)),
            LlamaConfig.of(64, 32, 2, 4, 2, 48, true, 1e4)
                    .withFamily("llama", true, true, true, false, 0)
                    .withRope(5e5, RopeScaling.linear(3))
                    .withHeadDim(12),
        };
        for (LlamaConfig c : configs) {
            Path f = dir.resolve("written.json");
            c.write(f, "bfloat16");
            LlamaConfigJson.Read back = LlamaConfigJson.read(f);
            assertEquals(c, back.config());
            assertEquals("bfloat16", back.dtype());
            assertThat(back.ignored()).isEmpty();
        }
    }
}
