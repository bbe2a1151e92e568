package dev.revise.policies.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes tensors in the safetensors layout Hugging Face tools read: names sorted, data contiguous
 * in that order, header padded with spaces to a multiple of 8 bytes, {@code __metadata__} first.
 * Values come as float32 and are written as F32, BF16 or F16 (round to nearest even), streamed
 * through a fixed buffer: a tensor's source is opened only while it is written.
 */
public final class SafetensorsWriter {
    /** A tensor to write: its shape and, while open, its native-order float32 values. */
    public interface Source {
        long[] shape();

        /** The values (exactly shape's element count of floats); valid until {@link #release()}. */
        ByteBuffer open();

        /** Frees what {@link #open()} made (a converted copy); a view needs nothing. */
        default void release() {}

        default long elements() {
            long n = 1;
            for (long d : shape()) {
                n *= d;
            }
            return n;
        }
    }

    /** An eager source: little-endian float32 values of the given shape. */
    public record Tensor(long[] shape, ByteBuffer float32) implements Source {
        @Override
        public ByteBuffer open() {
            return float32.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    private SafetensorsWriter() {}

    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        write(file, tensors, metadata, SafeDtype.F32);
    }

    public static void write(
            Path file, Map<String, ? extends Source> tensors, Map<String, String> metadata, SafeDtype dtype)
            throws IOException {
        if (dtype != SafeDtype.F32 && dtype != SafeDtype.BF16 && dtype != SafeDtype.F16) {
            throw new IllegalArgumentException("cannot write " + dtype + " weights (F32, BF16, F16)");
        }
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IOException("big-endian hosts are not supported");
        }
        Map<String, Source> sorted = new TreeMap<>(tensors);
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Source> e : sorted.entrySet()) {
            long bytes = e.getValue().elements() * dtype.bytes();
            ObjectNode entry = header.putObject(e.getKey());
            entry.put("dtype", dtype.name());
            ArrayNode shape = entry.putArray("shape");
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            ArrayNode offsets = entry.putArray("data_offsets");
            offsets.add(offset);
            offsets.add(offset + bytes);
            offset += bytes;
        }
        byte[] headerBytes = json.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (headerBytes.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(headerBytes);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        ByteBuffer chunk =
                ByteBuffer.allocateDirect(SafetensorsFile.CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int perChunk = SafetensorsFile.CHUNK_BYTES / 4;
        try (FileChannel out = FileChannel.open(
                file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            writeFully(out, head);
            for (Map.Entry<String, Source> e : sorted.entrySet()) {
                Source s = e.getValue();
                try {
                    ByteBuffer data = s.open().duplicate().order(ByteOrder.nativeOrder());
                    long elements = s.elements();
                    if (data.remaining() != elements * 4) {
                        throw new IllegalArgumentException("tensor '" + e.getKey() + "': " + data.remaining()
                                + " bytes of data for " + elements + " float32 elements");
                    }
                    while (data.hasRemaining()) {
                        int n = Math.min(perChunk, data.remaining() / 4);
                        chunk.clear();
                        dtype.convertFromFloat32(data, n, chunk);
                        chunk.flip();
                        writeFully(out, chunk);
                    }
                } finally {
                    s.release();
                }
            }
            out.force(true);
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            out.write(b);
        }
    }
}
