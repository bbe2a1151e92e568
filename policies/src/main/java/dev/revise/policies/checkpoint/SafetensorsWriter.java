package dev.revise.policies.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes float32 tensors in the safetensors layout Hugging Face tools read: names sorted, data
 * contiguous in that order, header padded with spaces to a multiple of 8 bytes, {@code
 * __metadata__} first.
 */
public final class SafetensorsWriter {
    /** One tensor to write: little-endian float32 values of the given shape. */
    public record Tensor(long[] shape, ByteBuffer float32) {}

    private SafetensorsWriter() {}

    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Map<String, Tensor> sorted = new java.util.TreeMap<>(tensors);
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        Map<String, Long> sizes = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : sorted.entrySet()) {
            long elements = 1;
            for (long d : e.getValue().shape()) {
                elements *= d;
            }
            long bytes = elements * 4;
            if (e.getValue().float32().remaining() != bytes) {
                throw new IllegalArgumentException("tensor '" + e.getKey() + "': "
                        + e.getValue().float32().remaining() + " bytes of data for " + elements + " float32 elements");
            }
            ObjectNode entry = header.putObject(e.getKey());
            entry.put("dtype", "F32");
            ArrayNode shape = entry.putArray("shape");
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            ArrayNode offsets = entry.putArray("data_offsets");
            offsets.add(offset);
            offsets.add(offset + bytes);
            sizes.put(e.getKey(), bytes);
            offset += bytes;
        }
        byte[] headerBytes = json.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (headerBytes.length + 7) / 8 * 8;
        try (OutputStream out = Files.newOutputStream(file)) {
            ByteBuffer len =
                    ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(headerBytes);
            for (int i = headerBytes.length; i < padded; i++) {
                out.write(' ');
            }
            byte[] chunk = new byte[1 << 16];
            for (Map.Entry<String, Tensor> e : sorted.entrySet()) {
                ByteBuffer data = e.getValue().float32().duplicate().order(ByteOrder.LITTLE_ENDIAN);
                if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
                    throw new IOException("big-endian hosts are not supported");
                }
                while (data.hasRemaining()) {
                    int n = Math.min(chunk.length, data.remaining());
                    data.get(chunk, 0, n);
                    out.write(chunk, 0, n);
                }
            }
        }
    }
}
