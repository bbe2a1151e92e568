package dev.revise.policies.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.revise.policies.DeviceSpec;
import dev.revise.policies.LlamaPolicy;
import dev.revise.rl.ScoreOptions;
import dev.revise.rl.TokenBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** F16 and BF16 checkpoints load (up-cast to float32) and give log-probs close to the F32 ones. */
class HalfPrecisionTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/hf-llama-tiny");

    @TempDir
    Path dir;

    @Test
    void halfConversionsAreExactOnRepresentableValues() {
        float[] values = {0f, -0f, 1f, -2.5f, 65504f, 6.1035156e-5f, 5.9604645e-8f, 0.333251953125f};
        for (float v : values) {
            assertEquals(v, SafeDtype.halfToFloat(SafeDtype.floatToHalf(v)), 0f, "value " + v);
        }
        assertEquals(Float.POSITIVE_INFINITY, SafeDtype.halfToFloat(SafeDtype.floatToHalf(1e6f)));
        assertEquals(Float.NaN, SafeDtype.halfToFloat(SafeDtype.floatToHalf(Float.NaN)));
    }

    /**
     * The half checkpoint loads to exactly the weights of an F32 checkpoint holding the same
     * rounded values (so the up-cast is exact), and stays close to the unrounded model.
     */
    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16"})
    void halfPrecisionCheckpointLoads(String dtype) throws IOException {
        Path half = Files.createDirectories(dir.resolve("half"));
        Path rounded = Files.createDirectories(dir.resolve("rounded"));
        for (Path d : new Path[] {half, rounded}) {
            for (String f : new String[] {"config.json", "tokenizer.json"}) {
                Files.copy(FIXTURE.resolve(f), d.resolve(f));
            }
        }
        convert(FIXTURE.resolve("model.safetensors"), half.resolve("model.safetensors"), dtype, false);
        convert(FIXTURE.resolve("model.safetensors"), rounded.resolve("model.safetensors"), dtype, true);
        int[] tokens = {1, 17, 42, 5, 88, 23, 23, 7, 64, 90};
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy full = LlamaPolicy.load(FIXTURE, root, DeviceSpec.cpu());
                LlamaPolicy h = LlamaPolicy.load(half, root, DeviceSpec.cpu());
                LlamaPolicy r = LlamaPolicy.load(rounded, root, DeviceSpec.cpu());
                NDManager scope = root.newSubManager()) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(
                    r.snapshot(), h.snapshot(), dtype + " up-cast is not exact");
            float[] a = full.score(scope, new TokenBatch(new int[][] {tokens}), ScoreOptions.LOGPROBS_ONLY)
                    .logProbs()
                    .toFloatArray();
            float[] b = h.score(scope, new TokenBatch(new int[][] {tokens}), ScoreOptions.LOGPROBS_ONLY)
                    .logProbs()
                    .toFloatArray();
            double tolerance = dtype.equals("F16") ? 2e-2 : 1e-1;
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], tolerance, dtype + " log-prob " + i);
            }
        }
    }

    /** Rewrites an F32 safetensors file with every tensor in {@code dtype}. */
    static void convert(Path in, Path out, String dtype, boolean keepF32) throws IOException {
        byte[] all = Files.readAllBytes(in);
        long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = (ObjectNode) json.readTree(new String(all, 8, (int) n, StandardCharsets.UTF_8));
        ByteBuffer src = ByteBuffer.wrap(all, 8 + (int) n, all.length - 8 - (int) n)
                .slice()
                .order(ByteOrder.LITTLE_ENDIAN);
        int shrink = keepF32 ? 1 : 2;
        ByteBuffer data = ByteBuffer.allocate(src.capacity() / shrink).order(ByteOrder.LITTLE_ENDIAN);
        for (Iterator<Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>> it = header.fields();
                it.hasNext(); ) {
            Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            ObjectNode t = (ObjectNode) e.getValue();
            long begin = t.get("data_offsets").get(0).asLong();
            long end = t.get("data_offsets").get(1).asLong();
            for (long p = begin; p < end; p += 4) {
                float v = src.getFloat((int) p);
                short h = dtype.equals("F16") ? SafeDtype.floatToHalf(v) : (short) (Float.floatToRawIntBits(v) >>> 16);
                if (keepF32) {
                    float back =
                            dtype.equals("F16") ? SafeDtype.halfToFloat(h) : Float.intBitsToFloat((h & 0xFFFF) << 16);
                    data.putFloat((int) p, back);
                } else {
                    data.putShort((int) (p / 2), h);
                }
            }
            if (!keepF32) {
                t.put("dtype", dtype);
                ((com.fasterxml.jackson.databind.node.ArrayNode) t.get("data_offsets"))
                        .removeAll()
                        .add(begin / 2)
                        .add(end / 2);
            }
        }
        byte[] h = json.writeValueAsBytes(header);
        ByteBuffer o = ByteBuffer.allocate(8 + h.length + data.capacity()).order(ByteOrder.LITTLE_ENDIAN);
        o.putLong(h.length).put(h).put(data.array());
        Files.write(out, o.array());
    }
}
