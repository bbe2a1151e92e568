package dev.revise.envs.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.rl.Task;
import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads tasks from JSONL files (optionally gzipped) and from the datasets shipped with revise.
 * Every malformed line fails with the file and line number; nothing is skipped silently.
 */
public final class JsonlTasks {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonlTasks() {}

    /** The GSM8K test split (1,319 problems, MIT; see data/gsm8k/LICENSE.md). */
    public static List<Task> gsm8kTest() {
        return resource("data/gsm8k/test.jsonl", JsonlFormat.GSM8K, "gsm8k-test");
    }

    /** The first 500 problems of the GSM8K train split (for examples and smoke runs). */
    public static List<Task> gsm8kTrainSample() {
        return resource("data/gsm8k/train-sample-500.jsonl", JsonlFormat.GSM8K, "gsm8k-train");
    }

    /** MATH500 (500 problems, MIT; see data/math500/LICENSE.md). */
    public static List<Task> math500() {
        return resource("data/math500/test.jsonl", JsonlFormat.MATH, "math500");
    }

    /** Tasks of a user file; {@code .gz} files are decompressed. */
    public static List<Task> read(Path file, JsonlFormat format) {
        return read(file, line -> toTask(line, format));
    }

    /**
     * Tasks of a user file, each built from its parsed line by {@code toTask} (which reports bad
     * fields through {@link JsonlLine}); {@code .gz} files are decompressed. Task ids must be unique.
     */
    public static List<Task> read(Path file, Function<JsonlLine, Task> toTask) {
        try (InputStream raw = Files.newInputStream(file)) {
            InputStream in;
            try {
                in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
            } catch (ZipException | EOFException e) {
                throw new IllegalArgumentException(file + ":1: not a gzip file" + reason(e));
            }
            return parse(in, file.toString(), idPrefix(file), toTask);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": file not found");
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    /** Tasks of a dataset shipped in the envs jar ({@code .gz} resources are decompressed). */
    public static List<Task> resource(String path, String idPrefix, Function<JsonlLine, Task> toTask) {
        try (InputStream raw = JsonlTasks.class.getClassLoader().getResourceAsStream(path)) {
            if (raw == null) {
                throw new IllegalStateException("resource " + path + " is missing from the envs jar");
            }
            InputStream in = path.endsWith(".gz") ? new GZIPInputStream(raw) : raw;
            return parse(in, path, idPrefix, toTask);
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": " + e.getMessage(), e);
        }
    }

    private static String idPrefix(Path file) {
        String name = file.getFileName().toString();
        int dot = name.indexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    static List<Task> resource(String path, JsonlFormat format, String idPrefix) {
        return resource(path, idPrefix, line -> toTask(line, format));
    }

    static List<Task> parse(InputStream in, String where, String idPrefix, Function<JsonlLine, Task> toTask)
            throws IOException {
        List<Task> tasks = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        int number = 0;
        while ((line = readLine(reader, where, number + 1)) != null) {
            number++;
            if (line.isBlank()) {
                continue;
            }
            String at = where + ":" + number;
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalArgumentException(at + ": not valid JSON: " + e.getOriginalMessage());
            }
            if (node == null || !node.isObject()) {
                throw new IllegalArgumentException(at + ": not a JSON object");
            }
            Task task = toTask.apply(new JsonlLine(node, at, number, idPrefix));
            if (!ids.add(task.id())) {
                throw new IllegalArgumentException(at + ": duplicate task id '" + task.id() + "'");
            }
            tasks.add(task);
        }
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException(where + ": no tasks");
        }
        return tasks;
    }

    /** The next line; compressed data that ends early or is corrupt fails naming the file and line. */
    private static String readLine(BufferedReader reader, String where, int number) throws IOException {
        try {
            return reader.readLine();
        } catch (ZipException | EOFException e) {
            throw new IllegalArgumentException(where + ":" + number + ": corrupt or truncated gzip data" + reason(e));
        }
    }

    private static String reason(IOException e) {
        return e.getMessage() == null ? "" : " (" + e.getMessage() + ")";
    }

    private static Task toTask(JsonlLine line, JsonlFormat format) {
        String id = format.idField() == null ? line.lineId() : line.text(format.idField());
        String prompt = line.text(format.promptField());
        String raw = line.text(format.answerField());
        String answer;
        try {
            answer = format.answerExtractor().apply(raw);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(line.at() + ": field '" + format.answerField() + "': " + e.getMessage());
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("source", format.name());
        for (String field : format.metadataFields()) {
            JsonNode v = line.node().get(field);
            if (v != null && !v.isNull()) {
                metadata.put(field, v.isTextual() ? v.asText() : v.toString());
            }
        }
        metadata.putIfAbsent("reference", raw); // the unprocessed answer field (GSM8K: the worked solution)
        return new Task(id, prompt, answer, metadata);
    }
}
