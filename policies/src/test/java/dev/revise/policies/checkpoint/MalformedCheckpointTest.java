package dev.revise.policies.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import dev.revise.policies.DeviceSpec;
import dev.revise.policies.LlamaPolicy;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken checkpoints are refused with a message naming the file and the tensor or key. */
class MalformedCheckpointTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/hf-llama-tiny");

    @TempDir
    Path dir;

    @BeforeEach
    void copyFixture() throws IOException {
        for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json"}) {
            Files.copy(FIXTURE.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            dir.resolve(f).toFile().setWritable(true);
        }
    }

    private CheckpointException loadFails() {
        return assertThrows(CheckpointException.class, () -> {
            try (NDManager root = NDManager.newBaseManager();
                    LlamaPolicy p = LlamaPolicy.load(dir, root, DeviceSpec.cpu())) {
                p.version();
            }
        });
    }

    /** Rewrites the JSON header (keeping the data section) with {@code edit} applied to its text. */
    private void editHeader(java.util.function.UnaryOperator<String> edit) throws IOException {
        Path f = dir.resolve("model.safetensors");
        byte[] all = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(all, 8, (int) n, StandardCharsets.UTF_8);
        byte[] newHeader = edit.apply(header).getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + newHeader.length + all.length - 8 - (int) n)
                .order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(newHeader.length).put(newHeader).put(all, 8 + (int) n, all.length - 8 - (int) n);
        Files.write(f, out.array());
    }

    @Test
    void truncatedFileNamesTheTensor() throws IOException {
        Path f = dir.resolve("model.safetensors");
        byte[] all = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(all, all.length - 1000));
        assertThat(loadFails().getMessage())
                .contains("model.safetensors")
                .contains("tensor '")
                .contains("outside the data section");
    }

    @Test
    void fileShorterThanTheHeaderLength() throws IOException {
        Files.write(dir.resolve("model.safetensors"), new byte[] {1, 2, 3});
        assertThat(loadFails().getMessage()).contains("model.safetensors").contains("truncated");
    }

    @Test
    void hugeHeaderLengthIsRefusedWithoutAllocating() throws IOException {
        Path f = dir.resolve("model.safetensors");
        byte[] all = Files.readAllBytes(f);
        ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE / 2);
        Files.write(f, all);
        assertThat(loadFails().getMessage()).contains("model.safetensors").contains("header length");
    }

    @Test
    void offsetsThatDisagreeWithTheShape() throws IOException {
        editHeader(h -> h.replace(
                        "\"model.norm.weight\": {\"dtype\": \"F32\", \"shape\": [64]",
                        "\"model.norm.weight\": {\"dtype\": \"F32\", \"shape\": [65]")
                .replace(
                        "\"model.norm.weight\":{\"dtype\":\"F32\",\"shape\":[64]",
                        "\"model.norm.weight\":{\"dtype\":\"F32\",\"shape\":[65]"));
        assertThat(loadFails().getMessage()).contains("model.norm.weight").contains("data_offsets span");
    }

    @Test
    void unknownDtypeNamesTheTensor() throws IOException {
        editHeader(h -> h.replaceFirst("\"F32\"", "\"Q4\""));
        assertThat(loadFails().getMessage()).contains("unknown dtype 'Q4'").contains("tensor '");
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        editHeader(h -> h.replace("model.layers.1.mlp.down_proj.weight", "model.layers.1.mlp.dOwn_proj.weight"));
        assertThat(loadFails().getMessage()).contains("missing tensor 'model.layers.1.mlp.down_proj.weight'");
    }

    @Test
    void configThatDisagreesWithTheWeightsNamesTheTensor() throws IOException {
        Path c = dir.resolve("config.json");
        Files.writeString(c, Files.readString(c).replace("\"intermediate_size\": 176", "\"intermediate_size\": 170"));
        assertThat(loadFails().getMessage()).contains("mlp.gate_proj.weight").contains("has shape");
    }

    @Test
    void badConfigValueNamesTheKey() throws IOException {
        Path c = dir.resolve("config.json");
        Files.writeString(c, Files.readString(c).replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3"));
        assertThat(loadFails().getMessage()).contains("config.json").contains("num_key_value_heads");
    }

    @Test
    void missingFilesAreNamed() throws IOException {
        Files.delete(dir.resolve("tokenizer.json"));
        assertThat(loadFails().getMessage()).contains("tokenizer.json").contains("not found");
    }
}
