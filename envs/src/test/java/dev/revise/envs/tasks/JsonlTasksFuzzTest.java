package dev.revise.envs.tasks;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.revise.envs.code.CodeTasks;
import dev.revise.rl.Task;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;

/**
 * Fuzzes the task-file loaders of every format ({@code task.format}: generic with and without an
 * id field, gsm8k, math, humaneval, mbpp), plain and gzipped. Property: a file either loads, with
 * every task complete and ids unique, or fails with an {@link IllegalArgumentException} whose
 * message starts with {@code <file>:<line>: } (or {@code <file>: no tasks}).
 *
 * <p>Input: the first byte chooses the format (its value mod 6) and whether the rest is gzipped
 * (bit 7, then bit 6 truncates the compressed stream by the last byte's value); the rest is the file.
 * Regression inputs: {@code src/test/resources/dev/revise/envs/tasks/JsonlTasksFuzzTestInputs/}.
 */
class JsonlTasksFuzzTest {
    private static final List<String> FORMATS =
            List.of("generic", "generic-no-id", "gsm8k", "math", "humaneval", "mbpp");
    private static Path dir;

    @FuzzTest(maxDuration = "30s")
    void loadTaskFile(byte[] data) throws IOException {
        if (data.length == 0) {
            return;
        }
        int selector = data[0] & 0xff;
        String format = FORMATS.get((selector & 0x3f) % FORMATS.size());
        boolean gzip = (selector & 0x80) != 0;
        byte[] content = Arrays.copyOfRange(data, 1, data.length);
        if (gzip) {
            content = gzip(content);
            if ((selector & 0x40) != 0 && content.length > 0) {
                content = Arrays.copyOf(content, content.length - 1 - (data[data.length - 1] & 0xff) % content.length);
            }
        }
        Path file = dir().resolve(gzip ? "fuzz-tasks.jsonl.gz" : "fuzz-tasks.jsonl");
        Files.write(file, content);
        List<Task> tasks;
        try {
            tasks = load(format).apply(file);
        } catch (IllegalArgumentException e) {
            Pattern located =
                    Pattern.compile("^" + Pattern.quote(file.toString()) + "(:\\d+: .+|: no tasks)$", Pattern.DOTALL);
            assertTrue(
                    e.getClass() == IllegalArgumentException.class
                            && located.matcher(e.getMessage()).matches(),
                    () -> "format " + format + ": the error does not name the file and line: " + e);
            return;
        }
        assertFalse(tasks.isEmpty(), "a file that loads has tasks");
        assertTrue(tasks.stream().map(Task::id).distinct().count() == tasks.size(), "task ids are unique");
    }

    private static Function<Path, List<Task>> load(String format) {
        return switch (format) {
            case "generic" -> f -> JsonlTasks.read(f, JsonlFormat.generic("id", "question", "answer"));
            case "generic-no-id" -> f -> JsonlTasks.read(f, JsonlFormat.generic(null, "question", "answer"));
            case "gsm8k" -> f -> JsonlTasks.read(f, JsonlFormat.GSM8K);
            case "math" -> f -> JsonlTasks.read(f, JsonlFormat.MATH);
            case "humaneval" -> CodeTasks::humanEval;
            case "mbpp" -> CodeTasks::mbpp;
            default -> throw new IllegalStateException(format);
        };
    }

    private static byte[] gzip(byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static synchronized Path dir() throws IOException {
        if (dir == null) {
            dir = Files.createTempDirectory("revise-fuzz-jsonl");
        }
        return dir;
    }

    @AfterAll
    static void deleteFiles() throws IOException {
        if (dir != null) {
            for (String name : List.of("fuzz-tasks.jsonl", "fuzz-tasks.jsonl.gz")) {
                Files.deleteIfExists(dir.resolve(name));
            }
            Files.deleteIfExists(dir);
        }
    }
}
