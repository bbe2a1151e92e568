package dev.revise.policies.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The weights of a Hugging Face checkpoint directory: {@code model.safetensors}, or the shards
 * that {@code model.safetensors.index.json} names. Every claim of the index is checked before a
 * weight is read: shard names are plain file names inside the directory, every shard exists and
 * is a valid safetensors file, every tensor of the weight map is in the shard it names and in no
 * other, every tensor of a shard is in the weight map, and {@code metadata.total_size} (when
 * given) equals the bytes of the tensors. Tensors stream into caller-provided memory ({@link
 * #readInto}), so loading never holds a file or a tensor in the Java heap.
 */
public final class CheckpointWeights implements AutoCloseable {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private final Path dir;
    private final Map<String, SafetensorsFile> byTensor;
    private final List<SafetensorsFile> files;
    private final ByteBuffer staging = ByteBuffer.allocateDirect(SafetensorsFile.CHUNK_BYTES);

    private CheckpointWeights(Path dir, Map<String, SafetensorsFile> byTensor, List<SafetensorsFile> files) {
        this.dir = dir;
        this.byTensor = Collections.unmodifiableMap(byTensor);
        this.files = files;
    }

    /** True if {@code dir} holds weights in either layout. */
    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(SINGLE)) || Files.isRegularFile(dir.resolve(INDEX));
    }

    public static CheckpointWeights open(Path dir) {
        Path index = dir.resolve(INDEX);
        if (Files.isRegularFile(index)) {
            return openSharded(dir, index);
        }
        Path single = dir.resolve(SINGLE);
        if (!Files.isRegularFile(single)) {
            throw new CheckpointException(dir + ": no " + SINGLE + " and no " + INDEX);
        }
        SafetensorsFile f = SafetensorsFile.open(single);
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        f.entries().keySet().forEach(n -> byTensor.put(n, f));
        return new CheckpointWeights(dir, byTensor, List.of(f));
    }

    private static CheckpointWeights openSharded(Path dir, Path index) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(index));
        } catch (NoSuchFileException e) {
            throw new CheckpointException(index + ": file not found");
        } catch (IOException e) {
            throw new CheckpointException(index + ": not valid JSON: " + e.getMessage(), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new CheckpointException(index + ": 'weight_map' is missing or not a non-empty object");
        }
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, JsonNode> e : map.properties()) {
                String shard = e.getValue().asText("");
                if (!e.getValue().isTextual() || !shard.matches("[A-Za-z0-9._-]+") || shard.startsWith(".")) {
                    throw new CheckpointException(index + ": weight_map['" + e.getKey() + "'] = " + e.getValue()
                            + " is not a shard file name inside the checkpoint directory");
                }
                SafetensorsFile f = shards.get(shard);
                if (f == null) {
                    f = SafetensorsFile.open(dir.resolve(shard));
                    shards.put(shard, f);
                }
                if (!f.entries().containsKey(e.getKey())) {
                    throw new CheckpointException(index + ": weight_map puts tensor '" + e.getKey() + "' in " + shard
                            + ", which does not contain it");
                }
                byTensor.put(e.getKey(), f);
            }
            long bytes = 0;
            for (Map.Entry<String, SafetensorsFile> s : shards.entrySet()) {
                for (SafetensorsFile.Entry t : s.getValue().entries().values()) {
                    SafetensorsFile owner = byTensor.get(t.name());
                    if (owner != s.getValue()) {
                        throw new CheckpointException(index + ": shard " + s.getKey() + " holds tensor '" + t.name()
                                + "', which the weight_map "
                                + (owner == null ? "does not list" : "puts in another shard"));
                    }
                    bytes += t.end() - t.begin();
                }
            }
            JsonNode total = root.path("metadata").get("total_size");
            if (total != null && !total.isNull() && (!total.canConvertToLong() || total.asLong() != bytes)) {
                throw new CheckpointException(index + ": metadata.total_size is " + total + " but the shards' tensors"
                        + " hold " + bytes + " bytes (truncated or mismatched shards?)");
            }
        } catch (RuntimeException e) {
            shards.values().forEach(SafetensorsFile::close);
            throw e;
        }
        return new CheckpointWeights(dir, byTensor, new ArrayList<>(shards.values()));
    }

    public Path dir() {
        return dir;
    }

    /** Every tensor name, in the order of the files. */
    public Set<String> names() {
        return byTensor.keySet();
    }

    public SafetensorsFile.Entry entry(String name) {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) {
            throw new CheckpointException(dir + ": missing tensor '" + name + "'");
        }
        return f.entry(name);
    }

    /** The file that holds {@code name}. */
    public Path fileOf(String name) {
        entry(name);
        return byTensor.get(name).path();
    }

    /** The element types the weights are stored in. */
    public Set<SafeDtype> dtypes() {
        Set<SafeDtype> out = EnumSet.noneOf(SafeDtype.class);
        for (SafetensorsFile f : files) {
            f.entries().values().forEach(e -> out.add(e.dtype()));
        }
        return out;
    }

    /** Streams tensor {@code name} as float32 into {@code dest} (see {@link SafetensorsFile#readInto}). */
    public void readInto(String name, ByteBuffer dest) {
        entry(name);
        byTensor.get(name).readInto(name, dest, staging);
    }

    @Override
    public void close() {
        for (SafetensorsFile f : files) {
            f.close();
        }
    }
}
