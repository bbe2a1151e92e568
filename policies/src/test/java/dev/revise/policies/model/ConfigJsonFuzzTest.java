package dev.revise.policies.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.revise.policies.checkpoint.CheckpointException;
import dev.revise.policies.checkpoint.GenerationConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;

/**
 * Fuzzes a checkpoint's {@code config.json} ({@link LlamaConfigJson}) and {@code
 * generation_config.json} ({@link GenerationConfig}). Property: the file reads, and a read {@code
 * config.json} written back reads as the same architecture; or it fails with a {@link
 * CheckpointException} whose message starts with the file's path.
 *
 * <p>Input: the first byte chooses the file (even: {@code config.json}, odd: {@code
 * generation_config.json}), the rest is its content. Regression inputs: {@code
 * src/test/resources/dev/revise/policies/model/ConfigJsonFuzzTestInputs/}.
 */
class ConfigJsonFuzzTest {
    private static Path dir;

    @FuzzTest(maxDuration = "30s")
    void readConfigJson(byte[] data) throws IOException {
        if (data.length == 0) {
            return;
        }
        boolean generation = (data[0] & 1) != 0;
        Path file = dir().resolve(generation ? GenerationConfig.FILE : "config.json");
        Files.write(file, Arrays.copyOfRange(data, 1, data.length));
        try {
            if (generation) {
                GenerationConfig.read(dir());
                return;
            }
            LlamaConfigJson.Read read = LlamaConfigJson.read(file);
            Path back = dir().resolve("config.back.json");
            LlamaConfigJson.write(read.config(), back, "float32");
            assertEquals(read.config(), LlamaConfigJson.read(back).config(), "config.json written back");
        } catch (CheckpointException e) {
            assertTrue(
                    e.getMessage() != null && e.getMessage().startsWith(file + ": "),
                    () -> "the error does not start with the file: " + e);
        }
    }

    private static synchronized Path dir() throws IOException {
        if (dir == null) {
            dir = Files.createTempDirectory("revise-fuzz-config-json");
        }
        return dir;
    }

    @AfterAll
    static void deleteFiles() throws IOException {
        if (dir != null) {
            for (String name : new String[] {"config.json", "config.back.json", GenerationConfig.FILE}) {
                Files.deleteIfExists(dir.resolve(name));
            }
            Files.deleteIfExists(dir);
        }
    }
}
