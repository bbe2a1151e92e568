package dev.revise.policies.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import dev.revise.policies.DeviceSpec;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.TestModels;
import dev.revise.policies.model.LlamaConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sharded and half-precision checkpoints as transformers writes and reads them, every index claim checked. */
class ShardedCheckpointTest {
    @TempDir
    Path dir;

    static LlamaConfig config() {
        return LlamaConfig.of(24, 32, 2, 4, 2, 48, false, 1e4)
                .withSpecialTokens(1, 2)
                .withMaxPositions(64);
    }

    private static List<String> files(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void shardedFloat32RoundTripsExactly() throws IOException {
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = TestModels.policy(root, config(), 3)) {
            policy.save(dir, SafeDtype.F32, 8_000); // the embedding alone is 3 KB
            List<String> names = files(dir);
            assertThat(names).contains(CheckpointWeights.INDEX).doesNotContain(CheckpointWeights.SINGLE);
            long shards = names.stream()
                    .filter(n -> n.matches("model-\\d{5}-of-\\d{5}\\.safetensors"))
                    .count();
            assertThat(shards).isGreaterThanOrEqualTo(3);
            try (LlamaPolicy back = LlamaPolicy.load(dir, root, DeviceSpec.cpu())) {
                assertArrayEquals(policy.snapshot(), back.snapshot());
            }
            // saving again unsharded leaves no stale shard behind
            policy.save(dir, SafeDtype.F32, ShardedWriter.DEFAULT_MAX_SHARD_BYTES);
            assertThat(files(dir)).contains(CheckpointWeights.SINGLE).noneMatch(n -> n.startsWith("model-"));
            assertThat(files(dir)).doesNotContain(CheckpointWeights.INDEX);
        }
    }

    @Test
    void bfloat16IsRoundedToNearestEvenAndDeclared() throws IOException {
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = TestModels.policy(root, config(), 4)) {
            TestModels.spiky(policy, 7f, 1);
            policy.save(dir, SafeDtype.BF16, 5_000);
            assertThat(Files.readString(dir.resolve("config.json"))).contains("\"torch_dtype\" : \"bfloat16\"");
            try (CheckpointWeights w = CheckpointWeights.open(dir)) {
                assertEquals(java.util.Set.of(SafeDtype.BF16), w.dtypes());
            }
            ByteBuffer original = ByteBuffer.wrap(policy.snapshot()).order(ByteOrder.nativeOrder());
            try (LlamaPolicy back = LlamaPolicy.load(dir, root, DeviceSpec.cpu())) {
                ByteBuffer loaded = ByteBuffer.wrap(back.snapshot()).order(ByteOrder.nativeOrder());
                for (int i = 0; i < original.capacity() / 4; i++) {
                    float v = original.getFloat(i * 4);
                    float rounded = Float.intBitsToFloat((SafeDtype.floatToBfloat16(v) & 0xFFFF) << 16);
                    assertEquals(rounded, loaded.getFloat(i * 4), 0f, "element " + i);
                }
            }
        }
    }

    @Test
    void bfloat16RoundingMatchesTorch() {
        // torch.tensor([...]).to(torch.bfloat16).view(torch.int16): ties go to the even mantissa
        assertEquals((short) 0x3F80, SafeDtype.floatToBfloat16(Float.intBitsToFloat(0x3F808000)));
        assertEquals((short) 0x3F82, SafeDtype.floatToBfloat16(Float.intBitsToFloat(0x3F818000)));
        assertEquals((short) 0x3F81, SafeDtype.floatToBfloat16(Float.intBitsToFloat(0x3F808001)));
        assertEquals((short) 0x7F80, SafeDtype.floatToBfloat16(Float.MAX_VALUE));
        assertEquals((short) 0xBF80, SafeDtype.floatToBfloat16(-1f));
        assertThat(Float.isNaN(Float.intBitsToFloat(SafeDtype.floatToBfloat16(Float.NaN) << 16)))
                .isTrue();
    }

    private Path sharded() throws IOException {
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = TestModels.policy(root, config(), 3)) {
            policy.save(dir, SafeDtype.F32, 8_000);
        }
        return dir.resolve(CheckpointWeights.INDEX);
    }

    private String loadFails() {
        return assertThrows(CheckpointException.class, () -> CheckpointWeights.open(dir)
                        .close())
                .getMessage();
    }

    @Test
    void indexClaimsAreChecked() throws IOException {
        Path index = sharded();
        String good = Files.readString(index);
        Files.writeString(index, good.replaceFirst("\"total_size\" : \\d+", "\"total_size\" : 12"));
        assertThat(loadFails()).contains(CheckpointWeights.INDEX).contains("total_size");
        Files.writeString(index, good.replace("model-00001-of-", "../model-00001-of-"));
        assertThat(loadFails()).contains("not a shard file name");
        Files.writeString(index, good.replace("\"model.norm.weight\"", "\"model.norm.weights\""));
        assertThat(loadFails()).contains("model.norm.weights");
        Files.writeString(index, good);
        String last = files(dir).stream()
                .filter(n -> n.startsWith("model-"))
                .reduce((a, b) -> b)
                .orElseThrow();
        Files.delete(dir.resolve(last));
        assertThat(loadFails()).contains(last).contains("not found");
    }

    @Test
    void sizesParseAsTransformersDoes() {
        assertEquals(5_000_000_000L, ShardedWriter.parseSize("5GB"));
        assertEquals(200_000L, ShardedWriter.parseSize("200KB"));
        assertEquals(2L << 30, ShardedWriter.parseSize("2GiB"));
        assertEquals(123L, ShardedWriter.parseSize("123"));
        assertEquals(1_500_000L, ShardedWriter.parseSize("1.5mb"));
        assertThat(assertThrows(IllegalArgumentException.class, () -> ShardedWriter.parseSize("big"))
                        .getMessage())
                .contains("'big'");
    }
}
