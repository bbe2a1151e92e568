package dev.revise.envs.code;

import dev.revise.rl.Task;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Helpers shared by the sandbox tests. */
final class SandboxTesting {
    private SandboxTesting() {}

    /** A HumanEval-shaped task whose test only runs the candidate's code (for hostile programs). */
    static Task runOnly(String id) {
        return new Task(
                id,
                "def f():\n    \"\"\"Anything.\"\"\"\n",
                "    return 1\n",
                Map.of(
                        "source",
                        "humaneval",
                        CodeTasks.TEST,
                        "def check(candidate):\n    assert candidate() == 1\n",
                        CodeTasks.ENTRY_POINT,
                        "f"));
    }

    /**
     * Processes whose working directory is (or was, before it was deleted) inside {@code dir}:
     * every process of a run starts there, and a sandbox must leave none behind.
     */
    static List<Long> processesIn(Path dir) {
        List<Long> found = new ArrayList<>();
        String prefix = dir.toString();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String cwd = Files.readSymbolicLink(p.resolve("cwd")).toString();
                    if (cwd.startsWith(prefix)) {
                        found.add(Long.parseLong(name));
                    }
                } catch (IOException | UnsupportedOperationException e) {
                    // Exited meanwhile, or not ours to look at.
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        return found;
    }

    /** A sandbox of the test classes' limits (256 MB, 2 at once) working in its own {@code workRoot}. */
    static PythonSandbox sandbox(Path workRoot, Duration timeout) {
        SandboxConfig d = SandboxConfig.defaults();
        return new PythonSandbox(new SandboxConfig(
                null,
                timeout,
                256L << 20,
                d.maxProcesses(),
                d.maxFileBytes(),
                d.maxOpenFiles(),
                d.keptOutputBytes(),
                d.maxOutputBytes(),
                2,
                workRoot,
                false));
    }

    /**
     * A work root to find every process of a run by working directory; 0711 so nobody can list
     * it but can reach the run directories it is given.
     */
    static Path workRoot(String prefix) throws IOException {
        Path root = Files.createTempDirectory(prefix);
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx--x--x"));
        return root;
    }

    static void delete(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static boolean linux() {
        return Files.isDirectory(Path.of("/proc/self"));
    }
}
