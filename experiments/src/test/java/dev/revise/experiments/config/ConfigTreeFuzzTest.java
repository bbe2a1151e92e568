package dev.revise.experiments.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;

/**
 * Fuzzes the run configuration: a YAML file merged over the defaults, then {@code --set}
 * overrides. Property: the config resolves, and writing it out and reading it back gives the same
 * tree; or it fails with an {@link IllegalArgumentException} naming where: the file ({@code
 * <file>: <key path>: ...} or {@code <file>:<line>: not valid YAML}) or the override ({@code --set
 * <assignment>: ...}).
 *
 * <p>Input: leading lines starting with {@code --set } are overrides, the rest (raw bytes) is the
 * file. Regression inputs: {@code
 * src/test/resources/dev/revise/experiments/config/ConfigTreeFuzzTestInputs/}.
 */
class ConfigTreeFuzzTest {
    private static final byte[] SET = "--set ".getBytes(StandardCharsets.US_ASCII);
    private static Path dir;

    @FuzzTest(maxDuration = "30s")
    void resolveConfig(byte[] data) throws IOException {
        List<String> overrides = new ArrayList<>();
        int at = 0;
        while (startsWith(data, at, SET)) {
            int end = at;
            while (end < data.length && data[end] != '\n') {
                end++;
            }
            overrides.add(new String(data, at + SET.length, end - at - SET.length, StandardCharsets.UTF_8));
            at = Math.min(end + 1, data.length);
        }
        Path file = dir().resolve("fuzz-config.yaml");
        Files.write(file, Arrays.copyOfRange(data, at, data.length));
        ConfigTree tree;
        try {
            tree = ConfigTree.resolve(file, overrides);
        } catch (IllegalArgumentException e) {
            String m = String.valueOf(e.getMessage());
            boolean namesFile = m.startsWith(file + ": ") || m.matches("(?s)^\\Q" + file + "\\E:\\d+: .+");
            boolean namesOverride = overrides.stream().anyMatch(o -> m.startsWith("--set " + o + ": "));
            assertTrue(
                    e.getClass() == IllegalArgumentException.class && (namesFile || namesOverride),
                    () -> "the error names neither the file nor an override: " + e);
            return;
        }
        ConfigTree again = ConfigTree.parseResolved(tree.toYaml(), "fuzz/config.resolved.yaml");
        assertEquals(List.of(), tree.differences(again, java.util.Set.of()), "the resolved config reads back");
    }

    private static boolean startsWith(byte[] data, int at, byte[] prefix) {
        if (data.length - at < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (data[at + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static synchronized Path dir() throws IOException {
        if (dir == null) {
            dir = Files.createTempDirectory("revise-fuzz-config");
        }
        return dir;
    }

    @AfterAll
    static void deleteFiles() throws IOException {
        if (dir != null) {
            Files.deleteIfExists(dir.resolve("fuzz-config.yaml"));
            Files.deleteIfExists(dir);
        }
    }
}
