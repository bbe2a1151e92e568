package dev.revise.envs.code;

import java.nio.file.Path;

/**
 * What one sandboxed run did.
 *
 * @param exitCode the process's exit status (128 + n when killed by signal n), -1 if unknown
 * @param timedOut killed at the wall-clock timeout
 * @param outputLimitHit killed because it wrote more than the configured output limit
 * @param stdout the kept part of standard output (start and end, with an omission note)
 * @param stderr the kept part of standard error
 * @param outputTruncated some output was not kept
 * @param wallMillis from start to the whole tree being dead
 * @param workDir the run's (already deleted) working directory, to look for leftover processes
 */
public record SandboxResult(
        int exitCode,
        boolean timedOut,
        boolean outputLimitHit,
        String stdout,
        String stderr,
        boolean outputTruncated,
        long wallMillis,
        Path workDir) {

    /** The signal that ended the process, or 0. */
    public int signal() {
        return exitCode > 128 && exitCode < 128 + 65 ? exitCode - 128 : 0;
    }

    public static String signalName(int signal) {
        return switch (signal) {
            case 6 -> "SIGABRT";
            case 9 -> "SIGKILL";
            case 11 -> "SIGSEGV";
            case 15 -> "SIGTERM";
            case 24 -> "SIGXCPU (CPU time limit)";
            case 25 -> "SIGXFSZ (file size limit)";
            default -> "signal " + signal;
        };
    }
}
