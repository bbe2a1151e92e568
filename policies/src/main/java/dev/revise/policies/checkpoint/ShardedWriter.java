package dev.revise.policies.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a checkpoint's weights as transformers' {@code save_pretrained} lays them out: one {@code
 * model.safetensors}, or, when they exceed the shard size, {@code model-0000i-of-0000N.safetensors}
 * filled in the tensors' order (a tensor larger than the limit gets a shard of its own) plus {@code
 * model.safetensors.index.json} ({@code metadata.total_size} in bytes, {@code total_parameters},
 * and the weight map). Weight files already in the directory are removed first, so shards of an
 * earlier save never mix with these.
 */
public final class ShardedWriter {
    /** transformers' default {@code max_shard_size}. */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    private ShardedWriter() {}

    /** Writes {@code tensors} (in order) into {@code dir}; returns the files written. */
    public static List<Path> write(
            Path dir, Map<String, ? extends SafetensorsWriter.Source> tensors, SafeDtype dtype, long maxShardBytes)
            throws IOException {
        if (maxShardBytes < 1) {
            throw new IllegalArgumentException("max shard size must be >= 1 byte, got " + maxShardBytes);
        }
        removeWeightFiles(dir);
        List<Map<String, SafetensorsWriter.Source>> shards = new ArrayList<>();
        Map<String, SafetensorsWriter.Source> current = new LinkedHashMap<>();
        long currentBytes = 0;
        long total = 0;
        long parameters = 0;
        for (Map.Entry<String, ? extends SafetensorsWriter.Source> e : tensors.entrySet()) {
            long bytes = e.getValue().elements() * dtype.bytes();
            if (!current.isEmpty() && currentBytes + bytes > maxShardBytes) {
                shards.add(current);
                current = new LinkedHashMap<>();
                currentBytes = 0;
            }
            current.put(e.getKey(), e.getValue());
            currentBytes += bytes;
            total += bytes;
            parameters += e.getValue().elements();
        }
        if (!current.isEmpty()) {
            shards.add(current);
        }
        Map<String, String> meta = Map.of("format", "pt");
        List<Path> written = new ArrayList<>();
        if (shards.size() <= 1) {
            Path f = dir.resolve(CheckpointWeights.SINGLE);
            SafetensorsWriter.write(f, shards.isEmpty() ? Map.of() : shards.get(0), meta, dtype);
            written.add(f);
            return written;
        }
        Map<String, String> weightMap = new TreeMap<>();
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", i + 1, shards.size());
            Path f = dir.resolve(name);
            SafetensorsWriter.write(f, shards.get(i), meta, dtype);
            shards.get(i).keySet().forEach(k -> weightMap.put(k, name));
            written.add(f);
        }
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode index = json.createObjectNode();
        ObjectNode metadata = index.putObject("metadata");
        metadata.put("total_parameters", parameters);
        metadata.put("total_size", total);
        ObjectNode map = index.putObject("weight_map");
        weightMap.forEach(map::put);
        Path indexFile = dir.resolve(CheckpointWeights.INDEX);
        Files.writeString(indexFile, json.writeValueAsString(index) + "\n");
        written.add(indexFile);
        return written;
    }

    /** Deletes {@code model.safetensors}, the index and {@code model-*-of-*.safetensors} in {@code dir}. */
    static void removeWeightFiles(Path dir) throws IOException {
        Files.deleteIfExists(dir.resolve(CheckpointWeights.SINGLE));
        Files.deleteIfExists(dir.resolve(CheckpointWeights.INDEX));
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "model-*-of-*.safetensors")) {
            for (Path p : s) {
                Files.delete(p);
            }
        }
    }

    /**
     * A size as transformers' {@code convert_file_size_to_int} reads it: an integer of bytes, or a
     * number with KB/MB/GB/TB (powers of 1000) or KiB/MiB/GiB/TiB (powers of 1024), any case.
     */
    public static long parseSize(String text) {
        String s = text.strip();
        if (s.matches("\\d+")) {
            return Long.parseLong(s);
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)(\\d+(?:\\.\\d+)?)\\s*([kmgt])(i?)b")
                .matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "'" + text + "' is not a size (an integer of bytes, or e.g. 500MB, 5GB, 2GiB)");
        }
        double base = m.group(3).isEmpty() ? 1000 : 1024;
        int power = "kmgt".indexOf(Character.toLowerCase(m.group(2).charAt(0))) + 1;
        double bytes = Double.parseDouble(m.group(1)) * Math.pow(base, power);
        if (bytes < 1 || bytes > Long.MAX_VALUE) {
            throw new IllegalArgumentException("'" + text + "' is out of range");
        }
        return (long) bytes;
    }
}
