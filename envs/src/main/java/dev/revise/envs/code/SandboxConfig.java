package dev.revise.envs.code;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Limits and settings of a {@link PythonSandbox}.
 *
 * @param python the interpreter (a name on PATH or a path); null picks the first of {@code
 *     python3}, {@code /usr/bin/python3}, {@code /usr/local/bin/python3} that works under every
 *     available protection (e.g. a pyenv python under /root cannot be run by {@code nobody})
 * @param timeout wall-clock limit of one run, after which the whole process tree is killed
 * @param memoryBytes address-space limit ({@code RLIMIT_AS}) of every sandboxed process
 * @param maxProcesses {@code RLIMIT_NPROC}; note it counts every process of the sandbox user
 *     ({@code nobody}), so concurrent runs share it
 * @param maxFileBytes {@code RLIMIT_FSIZE}: the largest file a candidate can write
 * @param maxOpenFiles {@code RLIMIT_NOFILE}
 * @param keptOutputBytes bytes kept per stream (half from the start, half from the end, where
 *     the traceback and the harness's completion line are)
 * @param maxOutputBytes output (both streams) after which the run is killed: draining gigabytes
 *     would only burn CPU until the timeout
 * @param maxConcurrent runs executing at once; more callers wait
 * @param workRoot where the per-run temporary directories are created
 * @param requireAllProtections fail at construction unless every protection holds, instead of
 *     running with the ones the platform offers
 */
public record SandboxConfig(
        String python,
        Duration timeout,
        long memoryBytes,
        int maxProcesses,
        long maxFileBytes,
        int maxOpenFiles,
        int keptOutputBytes,
        long maxOutputBytes,
        int maxConcurrent,
        Path workRoot,
        boolean requireAllProtections) {

    public SandboxConfig {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("sandbox timeout must be positive, got " + timeout);
        }
        if (memoryBytes < 64L << 20) {
            throw new IllegalArgumentException("sandbox memory limit must be at least 64 MB, got " + memoryBytes);
        }
        if (maxProcesses < 1 || maxOpenFiles < 16 || maxFileBytes < 0 || maxConcurrent < 1) {
            throw new IllegalArgumentException("sandbox limits must be positive (open files at least 16)");
        }
        if (keptOutputBytes < 256 || maxOutputBytes < keptOutputBytes) {
            throw new IllegalArgumentException("sandbox output caps: kept >= 256 and max >= kept");
        }
        if (workRoot == null) {
            workRoot = Path.of(System.getProperty("java.io.tmpdir"));
        }
    }

    /** 5 s, 1 GB address space, 32 processes, 16 MB files, 64 open files, 64 KB of output kept. */
    public static SandboxConfig defaults() {
        return new SandboxConfig(
                null,
                Duration.ofSeconds(5),
                1L << 30,
                32,
                16L << 20,
                64,
                64 << 10,
                8L << 20,
                Math.max(1, Runtime.getRuntime().availableProcessors()),
                null,
                false);
    }

    public SandboxConfig withTimeout(Duration t) {
        return new SandboxConfig(
                python,
                t,
                memoryBytes,
                maxProcesses,
                maxFileBytes,
                maxOpenFiles,
                keptOutputBytes,
                maxOutputBytes,
                maxConcurrent,
                workRoot,
                requireAllProtections);
    }

    public SandboxConfig withMaxConcurrent(int n) {
        return new SandboxConfig(
                python,
                timeout,
                memoryBytes,
                maxProcesses,
                maxFileBytes,
                maxOpenFiles,
                keptOutputBytes,
                maxOutputBytes,
                n,
                workRoot,
                requireAllProtections);
    }

    public SandboxConfig withPython(String p) {
        return new SandboxConfig(
                p,
                timeout,
                memoryBytes,
                maxProcesses,
                maxFileBytes,
                maxOpenFiles,
                keptOutputBytes,
                maxOutputBytes,
                maxConcurrent,
                workRoot,
                requireAllProtections);
    }

    public SandboxConfig withMemoryBytes(long bytes) {
        return new SandboxConfig(
                python,
                timeout,
                bytes,
                maxProcesses,
                maxFileBytes,
                maxOpenFiles,
                keptOutputBytes,
                maxOutputBytes,
                maxConcurrent,
                workRoot,
                requireAllProtections);
    }

    public SandboxConfig requiringAllProtections() {
        return new SandboxConfig(
                python,
                timeout,
                memoryBytes,
                maxProcesses,
                maxFileBytes,
                maxOpenFiles,
                keptOutputBytes,
                maxOutputBytes,
                maxConcurrent,
                workRoot,
                true);
    }
}
