package dev.revise.policies.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A bounds-checked reader of the safetensors format: an 8-byte little-endian header length, a JSON
 * header {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}}, then
 * the raw little-endian data. Every claim of the header is checked against the file before a byte
 * is read, so a truncated or lying file gives an {@link CheckpointException} naming the file and
 * tensor, never a crash or a huge allocation. Pickle formats are never read.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Larger headers are refused: real ones are a few hundred KB. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    /** One tensor's entry in the header. */
    public record Entry(String name, SafeDtype dtype, long[] shape, long begin, long end) {
        public long elementCount() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafetensorsFile(
            Path path, FileChannel channel, long dataStart, Map<String, Entry> entries, Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
    }

    public static SafetensorsFile open(Path path) {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(path + ": file not found");
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot open: " + e.getMessage(), e);
        }
        try {
            return parse(path, channel);
        } catch (RuntimeException | IOException e) {
            try {
                channel.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof CheckpointException ce) {
                throw ce;
            }
            throw new CheckpointException(path + ": unreadable safetensors file: " + e.getMessage(), e);
        }
    }

    private static SafetensorsFile parse(Path path, FileChannel channel) throws IOException {
        long fileSize = channel.size();
        if (fileSize < 8) {
            throw new CheckpointException(
                    path + ": truncated safetensors file (" + fileSize + " bytes, header length needs 8)");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, lengthBytes, 0);
        long headerLength = lengthBytes.getLong(0);
        if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || headerLength > fileSize - 8) {
            throw new CheckpointException(path + ": header length " + Long.toUnsignedString(headerLength)
                    + " is impossible for a file of " + fileSize + " bytes");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        readFully(channel, headerBytes, 8);
        JsonNode header;
        try {
            header = new ObjectMapper().readTree(new String(headerBytes.array(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new CheckpointException(path + ": header is not valid JSON: " + e.getMessage(), e);
        }
        if (header == null || !header.isObject()) {
            throw new CheckpointException(path + ": header is not a JSON object");
        }
        long dataStart = 8 + headerLength;
        long dataSize = fileSize - dataStart;
        Map<String, Entry> entries = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : header.properties()) {
            String name = field.getKey();
            JsonNode node = field.getValue();
            if (name.equals("__metadata__")) {
                if (!node.isObject()) {
                    throw new CheckpointException(path + ": __metadata__ is not an object");
                }
                node.properties()
                        .forEach(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            entries.put(name, parseEntry(path, name, node, dataSize));
        }
        return new SafetensorsFile(
                path, channel, dataStart, Collections.unmodifiableMap(entries), Collections.unmodifiableMap(metadata));
    }

    private static Entry parseEntry(Path path, String name, JsonNode node, long dataSize) {
        String where = path + ": tensor '" + name + "'";
        if (!node.isObject()) {
            throw new CheckpointException(where + ": header entry is not an object");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new CheckpointException(where + ": missing dtype");
        }
        SafeDtype dtype = SafeDtype.parse(dtypeNode.asText())
                .orElseThrow(() -> new CheckpointException(where + ": unknown dtype '" + dtypeNode.asText()
                        + "' (supported: " + SafeDtype.supportedNames() + ")"));
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw new CheckpointException(where + ": missing shape");
        }
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToLong() || d.asLong() < 0) {
                throw new CheckpointException(where + ": shape " + shapeNode + " has an invalid dimension");
            }
            shape[i] = d.asLong();
            try {
                elements = Math.multiplyExact(elements, shape[i]);
            } catch (ArithmeticException overflow) {
                throw new CheckpointException(where + ": shape " + shapeNode + " overflows");
            }
        }
        JsonNode offsets = node.get("data_offsets");
        if (offsets == null
                || !offsets.isArray()
                || offsets.size() != 2
                || !offsets.get(0).canConvertToLong()
                || !offsets.get(1).canConvertToLong()) {
            throw new CheckpointException(where + ": data_offsets must be [begin, end]");
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        if (begin < 0 || end < begin || end > dataSize) {
            throw new CheckpointException(where + ": data_offsets [" + begin + ", " + end
                    + "] lie outside the data section of " + dataSize + " bytes (truncated file?)");
        }
        if (elements > Long.MAX_VALUE / dtype.bytes() || elements * dtype.bytes() != end - begin) {
            throw new CheckpointException(where + ": shape " + shapeNode + " of " + dtype + " needs "
                    + (elements * dtype.bytes()) + " bytes but data_offsets span " + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    public Path path() {
        return path;
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new CheckpointException(path + ": missing tensor '" + name + "'");
        }
        return e;
    }

    /**
     * The tensor's values converted to float32, in a fresh direct buffer in native byte order.
     *
     * @throws CheckpointException if the tensor is missing, not a float type or too large
     */
    public ByteBuffer readFloat32(String name) {
        Entry e = entry(name);
        if (!e.dtype().isFloat()) {
            throw new CheckpointException(
                    path + ": tensor '" + name + "' has dtype " + e.dtype() + ", expected a float type");
        }
        long outBytes = e.elementCount() * 4;
        if (outBytes > Integer.MAX_VALUE) {
            throw new CheckpointException(path + ": tensor '" + name + "' is larger than 2 GB as float32");
        }
        ByteBuffer out = ByteBuffer.allocateDirect((int) outBytes).order(ByteOrder.nativeOrder());
        readInto(name, out, ByteBuffer.allocateDirect((int) Math.min(CHUNK_BYTES, Math.max(8, e.end() - e.begin()))));
        return out;
    }

    /** Bytes read from the file per chunk by {@link #readInto}: bounds the staging memory of any tensor. */
    static final int CHUNK_BYTES = 4 << 20;

    /**
     * Streams the tensor's values, converted to float32, into {@code dest} (native byte order,
     * exactly {@code 4 * elements} bytes remaining, e.g. a view of a tensor's own memory), through a
     * reusable staging buffer of {@link #CHUNK_BYTES}: nothing the size of the tensor is allocated.
     *
     * @param staging a direct buffer of at least 8 bytes (chunks are at most {@link #CHUNK_BYTES}), reused
     */
    public void readInto(String name, ByteBuffer dest, ByteBuffer staging) {
        Entry e = entry(name);
        if (!e.dtype().isFloat()) {
            throw new CheckpointException(
                    path + ": tensor '" + name + "' has dtype " + e.dtype() + ", expected a float type");
        }
        if (dest.remaining() != e.elementCount() * 4) {
            throw new IllegalArgumentException("tensor '" + name + "': destination holds " + dest.remaining()
                    + " bytes, the tensor needs " + e.elementCount() * 4);
        }
        ByteBuffer out = dest.duplicate().order(ByteOrder.nativeOrder());
        int width = e.dtype().bytes();
        long chunk = (Math.min(CHUNK_BYTES, staging.capacity()) / 8) * 8L; // whole elements of any width
        for (long at = e.begin(); at < e.end(); at += chunk) {
            int n = (int) Math.min(chunk, e.end() - at);
            staging.clear().limit(n);
            try {
                readFully(channel, staging, dataStart + at);
            } catch (IOException ex) {
                throw new CheckpointException(path + ": tensor '" + name + "': read failed: " + ex.getMessage(), ex);
            }
            staging.flip();
            e.dtype().convertToFloat32(staging.order(ByteOrder.LITTLE_ENDIAN), n / width, out);
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer dst, long position) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, pos);
            if (n < 0) {
                throw new CheckpointException("unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new CheckpointException(path + ": close failed: " + e.getMessage(), e);
        }
    }
}
