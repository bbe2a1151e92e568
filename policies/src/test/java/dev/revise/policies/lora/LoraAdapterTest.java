package dev.revise.policies.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.TestModels;
import dev.revise.policies.checkpoint.CheckpointException;
import dev.revise.policies.checkpoint.SafetensorsFile;
import dev.revise.policies.model.LlamaConfig;
import dev.revise.rl.Completion;
import dev.revise.rl.Prompt;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.ScoreOptions;
import dev.revise.rl.TokenBatch;
import dev.revise.rl.TokenScores;
import dev.revise.rl.train.AdamW;
import dev.revise.rl.train.Scopes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LoRA: the unmerged update equals the merged weights, gradients reach only the adapter, PEFT's file layout. */
class LoraAdapterTest {
    static final LlamaConfig GQA = TestModels.gqa(24);
    static final int[][] ROWS = {{1, 4, 5, 6, 15, 4, 5, 6}, {1, 7, 3, 15, 7, 3, 0, 0}};
    static final LoraConfig ALL = new LoraConfig(4, 8, 0, LoraConfig.ALL_TARGETS);

    static float[] logProbs(LlamaPolicy p) {
        try (NDManager scope = p.manager().newSubManager()) {
            return p.score(scope, new TokenBatch(ROWS), ScoreOptions.LOGPROBS_ONLY)
                    .logProbs()
                    .toFloatArray();
        }
    }

    static LoraAdapter nonzero(NDManager root, LlamaConfig c, LoraConfig lora, long seed) {
        return TestModels.nonzeroAdapter(root, c, lora, seed);
    }

    @Test
    void aFreshAdapterLeavesTheModelUnchanged() {
        try (NDManager root = NDManager.newBaseManager()) {
            LlamaPolicy base = TestModels.policy(root, GQA, 1);
            TestModels.spiky(base, 10f, 2);
            float[] before = logProbs(base);
            try (LlamaPolicy lora =
                    base.withAdapter(LoraAdapter.create(GQA, ALL, root, Device.cpu(), DataType.FLOAT32, 3))) {
                assertArrayEquals(before, logProbs(lora), 0f);
                assertArrayEquals(before, logProbs(lora.base()), 0f);
            }
        }
    }

    @Test
    void unmergedEqualsMergedForEveryTargetSet() {
        for (List<String> targets : List.of(
                LoraConfig.ALL_TARGETS,
                List.of("q_proj", "v_proj"),
                List.of("k_proj", "up_proj"),
                List.of("down_proj", "o_proj"))) {
            LoraConfig cfg = new LoraConfig(3, 6, 0, targets);
            try (NDManager root = NDManager.newBaseManager()) {
                LlamaPolicy base = TestModels.policy(root, GQA, 1);
                TestModels.spiky(base, 10f, 2);
                float[] plain = logProbs(base);
                LlamaPolicy lora = base.withAdapter(nonzero(root, GQA, cfg, 5));
                float[] adapted = logProbs(lora);
                assertArrayEquals(plain, logProbs(lora.base()), 0f, "the base view is the base");
                try (LlamaPolicy merged = TestModels.policy(root, GQA, 1)) {
                    TestModels.spiky(merged, 10f, 2);
                    lora.adapter().mergeInto(merged.model().parameters());
                    merged.parametersUpdated();
                    float[] m = logProbs(merged);
                    assertArrayEquals(m, adapted, 2e-5f, "targets " + targets);
                    double moved = 0;
                    for (int i = 0; i < m.length; i++) {
                        moved = Math.max(moved, Math.abs(m[i] - plain[i]));
                    }
                    assertTrue(moved > 1e-2, "the adapter moved the log-probs by only " + moved);
                }
                lora.close();
            }
        }
    }

    @Test
    void gradientsReachTheAdapterOnlyAndTrainingLeavesTheBase() {
        try (NDManager root = NDManager.newBaseManager()) {
            LlamaPolicy base = TestModels.policy(root, GQA, 1);
            TestModels.spiky(base, 10f, 2);
            Map<String, float[]> baseBefore = new java.util.HashMap<>();
            base.model().parameters().forEach((n, p) -> baseBefore.put(n, p.toFloatArray()));
            try (LlamaPolicy lora =
                            base.withAdapter(LoraAdapter.create(GQA, ALL, root, Device.cpu(), DataType.FLOAT32, 3));
                    AdamW adam = new AdamW(lora.manager(), AdamW.Config.defaults())) {
                assertEquals(2L * 7 * GQA.numHiddenLayers(), lora.parameters().size());
                float first = 0;
                float last = 0;
                for (int step = 0; step < 60; step++) {
                    try (NDManager scope = Scopes.step(lora.manager(), step)) {
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            TokenScores s = lora.score(scope, new TokenBatch(ROWS), ScoreOptions.LOGPROBS_ONLY);
                            NDArray loss = s.logProbs().mul(s.mask()).sum().neg();
                            gc.backward(loss);
                            last = loss.getFloat();
                            if (step == 0) {
                                first = last;
                            }
                        }
                        if (step == 0) {
                            for (NDArray p : lora.model().parameters().values()) {
                                assertTrue(
                                        !ai.djl.pytorch.jni.JniUtils.requiresGrad((ai.djl.pytorch.engine.PtNDArray) p),
                                        "a base weight records gradients");
                            }
                            for (Map.Entry<String, NDArray> e :
                                    lora.parameters().entrySet()) {
                                try (NDArray g = e.getValue().getGradient()) {
                                    if (e.getKey().endsWith("lora_B.weight")) {
                                        assertTrue(g.abs().sum().getFloat() > 0, "no gradient for " + e.getKey());
                                    }
                                }
                            }
                        }
                        adam.step(lora.parameters(), 3e-2);
                        lora.parametersUpdated();
                    }
                }
                assertTrue(last < first * 0.5, "LoRA did not learn: " + first + " -> " + last);
                lora.model()
                        .parameters()
                        .forEach((n, p) -> assertArrayEquals(baseBefore.get(n), p.toFloatArray(), 0f, n));
            }
        }
    }

    /**
     * The chain rule through W' = W + s B A: the adapter's gradients equal dL/dB = s G A^T and
     * dL/dA = s B^T G, where G is the gradient of the merged weight in a fully trained copy.
     */
    @Test
    void adapterGradientsFollowFromTheMergedWeightsGradients() {
        LoraConfig cfg = new LoraConfig(3, 6, 0, LoraConfig.ALL_TARGETS);
        try (NDManager root = NDManager.newBaseManager()) {
            LlamaPolicy base = TestModels.policy(root, GQA, 1);
            TestModels.spiky(base, 10f, 2);
            LlamaPolicy lora = base.withAdapter(nonzero(root, GQA, cfg, 5));
            LlamaPolicy merged = TestModels.policy(root, GQA, 1);
            TestModels.spiky(merged, 10f, 2);
            lora.adapter().mergeInto(merged.model().parameters());
            merged.parametersUpdated();
            for (LlamaPolicy p : List.of(lora, merged)) {
                try (NDManager scope = p.manager().newSubManager();
                        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    TokenScores s = p.score(scope, new TokenBatch(ROWS), ScoreOptions.LOGPROBS_ONLY);
                    p.backward(gc, s.logProbs().mul(s.mask()).sum().neg());
                }
            }
            float scale = (float) cfg.scaling();
            for (int l = 0; l < GQA.numHiddenLayers(); l++) {
                for (String t : cfg.targets()) {
                    try (NDManager m = root.newSubManager()) {
                        NDArray g = m.from(merged.model()
                                        .parameter("model.layers." + l + "." + LoraConfig.modulePath(t) + ".weight")
                                        .getGradient())
                                .duplicate();
                        NDArray a = lora.adapter().a(l, t).duplicate();
                        NDArray b = lora.adapter().b(l, t).duplicate();
                        a.attach(m);
                        b.attach(m);
                        g.attach(m);
                        float[] wantB = g.matMul(a.transpose()).mul(scale).toFloatArray();
                        float[] wantA = b.transpose().matMul(g).mul(scale).toFloatArray();
                        try (NDArray gb = lora.adapter().b(l, t).getGradient();
                                NDArray ga = lora.adapter().a(l, t).getGradient()) {
                            assertArrayEquals(wantB, gb.toFloatArray(), 2e-4f, "dL/dB of layer " + l + " " + t);
                            assertArrayEquals(wantA, ga.toFloatArray(), 2e-4f, "dL/dA of layer " + l + " " + t);
                        }
                    }
                }
            }
            lora.close();
            merged.close();
        }
    }

    @Test
    void sampledTokensWithTheAdapterEqualThoseOfTheMergedModel() {
        try (NDManager root = NDManager.newBaseManager()) {
            LlamaPolicy base = TestModels.policy(root, GQA, 1);
            TestModels.spiky(base, 10f, 2);
            try (LlamaPolicy lora = base.withAdapter(nonzero(root, GQA, ALL, 5));
                    LlamaPolicy merged = TestModels.policy(root, GQA, 1)) {
                TestModels.spiky(merged, 10f, 2);
                lora.adapter().mergeInto(merged.model().parameters());
                merged.parametersUpdated();
                List<Prompt> prompts = List.of(new Prompt(new int[] {1, 4, 5}, 11), new Prompt(new int[] {1, 7}, 12));
                SamplingParams greedy = SamplingParams.greedy(12);
                List<Completion> a = lora.generator().generate(prompts, greedy);
                List<Completion> b = merged.generator().generate(prompts, greedy);
                List<Completion> c = lora.base().generator().generate(prompts, greedy);
                for (int i = 0; i < a.size(); i++) {
                    assertArrayEquals(b.get(i).tokenIds(), a.get(i).tokenIds());
                }
                boolean differs = false;
                for (int i = 0; i < a.size(); i++) {
                    differs |= !java.util.Arrays.equals(
                            a.get(i).tokenIds(), c.get(i).tokenIds());
                }
                assertTrue(differs, "the adapter did not change what is sampled");
            }
        }
    }

    @Test
    void savesAPeftDirectoryAndLoadsItBack(@TempDir Path dir) throws Exception {
        LoraConfig cfg = new LoraConfig(4, 16, 0.05, List.of("v_proj", "q_proj", "down_proj"));
        try (NDManager root = NDManager.newBaseManager();
                LoraAdapter a = nonzero(root, GQA, cfg, 7)) {
            a.save(dir, "/models/base");
            JsonNode json = new ObjectMapper()
                    .readTree(dir.resolve("adapter_config.json").toFile());
            assertEquals("LORA", json.get("peft_type").asText());
            assertEquals(4, json.get("r").asInt());
            assertEquals(16.0, json.get("lora_alpha").asDouble());
            assertEquals("/models/base", json.get("base_model_name_or_path").asText());
            assertEquals(
                    "[\"q_proj\",\"v_proj\",\"down_proj\"]",
                    json.get("target_modules").toString());
            try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(LoraAdapter.WEIGHTS_FILE))) {
                assertArrayEquals(
                        new long[] {4, GQA.hiddenSize()},
                        f.entry("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight")
                                .shape());
                assertArrayEquals(
                        new long[] {GQA.kvDim(), 4},
                        f.entry("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight")
                                .shape());
                assertArrayEquals(
                        new long[] {GQA.hiddenSize(), 4},
                        f.entry("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight")
                                .shape());
                assertEquals(3 * 2 * GQA.numHiddenLayers(), f.entries().size());
            }
            try (LoraAdapter back = LoraAdapter.load(dir, GQA, root, Device.cpu(), DataType.FLOAT32)) {
                assertEquals(cfg, back.config());
                for (Map.Entry<String, NDArray> e : a.parameters().entrySet()) {
                    assertArrayEquals(
                            e.getValue().toFloatArray(),
                            back.parameters().get(e.getKey()).toFloatArray(),
                            0f);
                }
                assertNull(back.a(0, "k_proj"));
            }
        }
    }

    @Test
    void refusesWhatItDoesNotImplementByName(@TempDir Path dir) throws Exception {
        try (NDManager root = NDManager.newBaseManager();
                LoraAdapter a = LoraAdapter.create(GQA, ALL, root, Device.cpu(), DataType.FLOAT32, 1)) {
            a.save(dir, "base");
            Path cfg = dir.resolve("adapter_config.json");
            String good = Files.readString(cfg);
            for (String[] bad : new String[][] {
                {"\"use_dora\" : false", "\"use_dora\" : true", "use_dora"},
                {"\"bias\" : \"none\"", "\"bias\" : \"all\"", "bias"},
                {"\"modules_to_save\" : null", "\"modules_to_save\" : [\"lm_head\"]", "modules_to_save"},
                {"\"q_proj\"", "\"lm_head\"", "lm_head"},
                {"\"peft_type\" : \"LORA\"", "\"peft_type\" : \"IA3\"", "IA3"},
            }) {
                assertTrue(good.contains(bad[0]), bad[0]);
                Files.writeString(cfg, good.replace(bad[0], bad[1]));
                CheckpointException e = assertThrows(
                        CheckpointException.class,
                        () -> LoraAdapter.load(dir, GQA, root, Device.cpu(), DataType.FLOAT32));
                assertTrue(
                        e.getMessage().contains(bad[2]) && e.getMessage().contains("adapter_config.json"),
                        e.getMessage());
            }
            Files.writeString(cfg, good.replace("\"r\" : 4", "\"r\" : 8"));
            CheckpointException e = assertThrows(
                    CheckpointException.class, () -> LoraAdapter.load(dir, GQA, root, Device.cpu(), DataType.FLOAT32));
            assertTrue(e.getMessage().contains("has shape"), e.getMessage());
        }
    }

    @Test
    void dropoutIsDrawnFromTheBatchAndVersionOnly() {
        LoraConfig cfg = new LoraConfig(4, 8, 0.3, LoraConfig.ALL_TARGETS);
        float[][] losses = new float[3][];
        for (int run = 0; run < 3; run++) {
            try (NDManager root = NDManager.newBaseManager()) {
                LlamaPolicy base = TestModels.policy(root, GQA, 1);
                TestModels.spiky(base, 10f, 2);
                try (LlamaPolicy lora = base.withAdapter(nonzero(root, GQA, run == 2 ? ALL : cfg, 5));
                        NDManager scope = lora.manager().newSubManager();
                        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    losses[run] = lora.score(scope, new TokenBatch(ROWS), ScoreOptions.LOGPROBS_ONLY)
                            .logProbs()
                            .toFloatArray();
                }
            }
        }
        assertArrayEquals(losses[0], losses[1], 0f, "same batch, same version: same masks");
        assertNotEquals(
                java.util.Arrays.toString(losses[0]), java.util.Arrays.toString(losses[2]), "dropout had no effect");
    }
}
