package dev.revise.policies.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;

/**
 * Fuzzes the safetensors reader: a single file's header and a sharded checkpoint's {@code
 * model.safetensors.index.json}. Property: the checkpoint opens and every float tensor reads, or
 * it fails with a {@link CheckpointException} whose message starts with the file's path.
 *
 * <p>{@link #safetensorsFile} input: if the first byte is odd, the rest is the whole file; else the
 * rest is the JSON header, a NUL byte and the data, and the 8-byte header length is computed.
 * {@link #shardedIndex} input: the index file, next to two valid shards ({@code
 * model-00001-of-00002.safetensors} with F32 tensors {@code a} [2] and {@code b} [1, 3], {@code
 * model-00002-of-00002.safetensors} with BF16 tensor {@code c} [4]: 28 bytes in all). Regression
 * inputs: {@code src/test/resources/dev/revise/policies/checkpoint/SafetensorsFuzzTestInputs/}.
 */
class SafetensorsFuzzTest {
    private static Path dir;

    @FuzzTest(maxDuration = "30s")
    void safetensorsFile(byte[] data) throws IOException {
        if (data.length == 0) {
            return;
        }
        byte[] file;
        if ((data[0] & 1) != 0) {
            file = Arrays.copyOfRange(data, 1, data.length);
        } else {
            int nul = 1;
            while (nul < data.length && data[nul] != 0) {
                nul++;
            }
            byte[] header = Arrays.copyOfRange(data, 1, nul);
            byte[] body = nul < data.length ? Arrays.copyOfRange(data, nul + 1, data.length) : new byte[0];
            file = ByteBuffer.allocate(8 + header.length + body.length)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(header.length)
                    .put(header)
                    .put(body)
                    .array();
        }
        Path path = dir().resolve("fuzz.safetensors");
        Files.write(path, file);
        SafetensorsFile f;
        try {
            f = SafetensorsFile.open(path);
        } catch (CheckpointException e) {
            assertNamesFile(path, e);
            return;
        }
        try (f) {
            for (SafetensorsFile.Entry e : f.entries().values()) {
                assertTrue(e.begin() >= 0 && e.end() <= file.length, "entry inside the file: " + e.name());
                if (e.dtype().isFloat()) {
                    ByteBuffer values = f.readFloat32(e.name());
                    assertEquals(e.elementCount() * 4, values.capacity(), e.name());
                }
            }
        }
    }

    @FuzzTest(maxDuration = "30s")
    void shardedIndex(byte[] data) throws IOException {
        Path d = shardDir();
        Path index = d.resolve(CheckpointWeights.INDEX);
        Files.write(index, data);
        CheckpointWeights w;
        try {
            w = CheckpointWeights.open(d);
        } catch (CheckpointException e) {
            assertTrue(
                    e.getMessage().startsWith(index + ": ") || e.getMessage().startsWith(d + "/"),
                    () -> "the error does not name the index or a shard: " + e);
            return;
        }
        try (w) {
            assertTrue(!w.names().isEmpty() && List.of("a", "b", "c").containsAll(w.names()), "tensors of the shards");
            for (String name : w.names()) {
                SafetensorsFile.Entry e = w.entry(name);
                w.readInto(name, ByteBuffer.allocateDirect((int) e.elementCount() * 4));
            }
        }
    }

    private static void assertNamesFile(Path path, CheckpointException e) {
        assertTrue(
                e.getMessage() != null && e.getMessage().startsWith(path + ": "),
                () -> "the error does not start with the file: " + e);
    }

    private static synchronized Path dir() throws IOException {
        if (dir == null) {
            dir = Files.createTempDirectory("revise-fuzz-safetensors");
        }
        return dir;
    }

    private static synchronized Path shardDir() throws IOException {
        Path d = dir().resolve("sharded");
        if (!Files.isDirectory(d)) {
            Files.createDirectories(d);
            SafetensorsWriter.write(
                    d.resolve("model-00001-of-00002.safetensors"),
                    Map.of("a", tensor(2), "b", tensor(1, 3)),
                    Map.of("format", "pt"));
            SafetensorsWriter.write(
                    d.resolve("model-00002-of-00002.safetensors"),
                    Map.of("c", tensor(4)),
                    Map.of("format", "pt"),
                    SafeDtype.BF16);
        }
        return d;
    }

    private static SafetensorsWriter.Tensor tensor(long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        ByteBuffer b = ByteBuffer.allocate((int) n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat(i * 0.5f);
        }
        return new SafetensorsWriter.Tensor(shape, b.flip());
    }

    @AfterAll
    static void deleteFiles() throws IOException {
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
