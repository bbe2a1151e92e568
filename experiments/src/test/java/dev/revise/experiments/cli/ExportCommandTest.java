package dev.revise.experiments.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.policies.DeviceSpec;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.lora.LoraAdapter;
import dev.revise.policies.lora.LoraConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** revise export --merge, and the commands that read a LoRA checkpoint directly, on a real HF base. */
class ExportCommandTest {
    @TempDir
    Path dir;

    /** A PEFT adapter with nonzero B over the tiny Llama fixture, written as a LoRA run writes its checkpoints. */
    private Path adapter() throws Exception {
        Path out = dir.resolve("adapter");
        try (NDManager root = NDManager.newBaseManager()) {
            LlamaPolicy base = LlamaPolicy.load(CliTest.FIXTURE, root, DeviceSpec.cpu());
            LoraAdapter a = LoraAdapter.create(
                    base.config(),
                    new LoraConfig(4, 8, 0, List.of("q_proj", "v_proj", "gate_proj", "down_proj")),
                    root,
                    Device.cpu(),
                    DataType.FLOAT32,
                    1);
            SplittableRandom rng = new SplittableRandom(2);
            for (Map.Entry<String, NDArray> e : a.parameters().entrySet()) {
                if (e.getKey().endsWith("lora_B.weight")) {
                    float[] v = new float[(int) e.getValue().size()];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) (rng.nextDouble() - 0.5);
                    }
                    try (NDArray src = root.create(v, e.getValue().getShape())) {
                        e.getValue().set(new ai.djl.ndarray.index.NDIndex("..."), src);
                    }
                }
            }
            try (LlamaPolicy lora = base.withAdapter(a)) {
                lora.saveAdapter(
                        out, CliTest.FIXTURE.toAbsolutePath().normalize().toString());
            }
        }
        return out;
    }

    private static double[] logprobs(Path checkpoint) throws Exception {
        CliTest.Result r =
                CliTest.run("logprobs", "--checkpoint", checkpoint.toString(), "--token-ids", "1,5,9,14,3,7");
        assertEquals(0, r.status(), r.err());
        return new ObjectMapper()
                .readValue(new ObjectMapper().readTree(r.out()).get("logprobs").toString(), double[].class);
    }

    @Test
    void theMergedExportScoresAsTheAdapterDoes() throws Exception {
        Path adapter = adapter();
        double[] viaAdapter = logprobs(adapter);
        double[] base = logprobs(CliTest.FIXTURE);
        Path merged = dir.resolve("merged");
        CliTest.Result r =
                CliTest.run("export", "--checkpoint", adapter.toString(), "--merge", "--out", merged.toString());
        assertEquals(0, r.status(), r.err());
        assertThat(merged.resolve("config.json")).exists();
        assertThat(merged.resolve("tokenizer.json")).exists();
        assertThat(merged.resolve("adapter_config.json")).doesNotExist();
        double[] viaMerged = logprobs(merged);
        assertArrayEquals(viaAdapter, viaMerged, 1e-4);
        double moved = 0;
        for (int i = 0; i < base.length; i++) {
            moved = Math.max(moved, Math.abs(base[i] - viaAdapter[i]));
        }
        assertThat(moved).as("the adapter changes the log-probs").isGreaterThan(1e-2);
        // the base's own dtype by default; another on request
        String source = new ObjectMapper()
                .readTree(CliTest.FIXTURE.resolve("config.json").toFile())
                .path("torch_dtype")
                .asText("float32");
        assertEquals(
                source,
                new ObjectMapper()
                        .readTree(merged.resolve("config.json").toFile())
                        .get("torch_dtype")
                        .asText());
        Path bf16 = dir.resolve("bf16");
        assertEquals(
                0,
                CliTest.run(
                                "export",
                                "--checkpoint",
                                adapter.toString(),
                                "--merge",
                                "--out",
                                bf16.toString(),
                                "--dtype",
                                "bfloat16")
                        .status());
        assertEquals(
                "bfloat16",
                new ObjectMapper()
                        .readTree(bf16.resolve("config.json").toFile())
                        .get("torch_dtype")
                        .asText());
    }

    @Test
    void refusalsNameWhatIsWrong() throws Exception {
        Path adapter = adapter();
        CliTest.Result noMerge = CliTest.run(
                "export",
                "--checkpoint",
                adapter.toString(),
                "--out",
                dir.resolve("x").toString());
        assertThat(noMerge.status()).isNotZero();
        assertThat(noMerge.err()).contains("LoRA adapter", "--merge");
        Files.createDirectories(dir.resolve("full"));
        Files.writeString(dir.resolve("full/keep.txt"), "mine");
        CliTest.Result exists = CliTest.run(
                "export",
                "--checkpoint",
                adapter.toString(),
                "--merge",
                "--out",
                dir.resolve("full").toString());
        assertThat(exists.status()).isNotZero();
        assertThat(exists.err()).contains("--out", "not an empty directory");
        assertEquals("mine", Files.readString(dir.resolve("full/keep.txt")));
        CliTest.Result nothing = CliTest.run(
                "export",
                "--checkpoint",
                CliTest.FIXTURE.toString(),
                "--merge",
                "--out",
                dir.resolve("y").toString());
        assertThat(nothing.err()).contains("no adapter to merge");
        Files.writeString(
                adapter.resolve("adapter_config.json"),
                Files.readString(adapter.resolve("adapter_config.json"))
                        .replace(CliTest.FIXTURE.toAbsolutePath().normalize().toString(), "/no/such/base"));
        CliTest.Result missingBase = CliTest.run("logprobs", "--checkpoint", adapter.toString(), "--token-ids", "1,2");
        assertThat(missingBase.err()).contains("adapter_config.json", "base_model_name_or_path", "/no/such/base");
    }
}
