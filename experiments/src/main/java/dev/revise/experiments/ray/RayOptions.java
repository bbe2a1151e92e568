package dev.revise.experiments.ray;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * How a run starts Ray.
 *
 * @param mode LOCAL (one JVM, no Ray installation) or CLUSTER (a running Ray 2.39.0 cluster)
 * @param address CLUSTER only: the head's GCS address {@code host:port}, or {@code auto} for the
 *     cluster started on this machine by {@code ray start} (found as Ray's own tools find it)
 * @param codeSearchPath CLUSTER only: directories and jars with this project's classes, separated
 *     by {@code :}, at the same path on every node
 * @param connectTimeout how long the head's port and then {@code Ray.init} may take
 * @param sessionDir LOCAL only: where Ray writes its session files (null: a fresh temp directory,
 *     since otherwise each LOCAL {@code Ray.init} leaves 32 MB under /tmp/ray)
 */
public record RayOptions(Mode mode, String address, String codeSearchPath, Duration connectTimeout, Path sessionDir) {
    public enum Mode {
        LOCAL,
        CLUSTER
    }

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(30);

    public RayOptions {
        if (mode == null) {
            throw new IllegalArgumentException("ray mode must be LOCAL or CLUSTER");
        }
        if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("ray connect timeout must be positive, got " + connectTimeout);
        }
    }

    public static RayOptions local() {
        return new RayOptions(Mode.LOCAL, null, null, DEFAULT_CONNECT_TIMEOUT, null);
    }

    public static RayOptions local(Path sessionDir) {
        return new RayOptions(Mode.LOCAL, null, null, DEFAULT_CONNECT_TIMEOUT, sessionDir);
    }

    public static RayOptions cluster(String address, String codeSearchPath, Duration connectTimeout) {
        return new RayOptions(Mode.CLUSTER, address, codeSearchPath, connectTimeout, null);
    }

    /**
     * Reads the flags the launcher passes: {@code -Dray.run-mode}, {@code -Dray.address},
     * {@code -Dray.job.code-search-path}, {@code -Dray.session-dir} and
     * {@code -Drevise.ray.connect-timeout-seconds}. Setting an address without a run mode means
     * CLUSTER, as it does for Ray itself.
     */
    public static RayOptions fromSystemProperties() {
        String address = blankToNull(System.getProperty("ray.address"));
        String runMode = blankToNull(System.getProperty("ray.run-mode"));
        Mode mode;
        if (runMode == null) {
            mode = address == null ? Mode.LOCAL : Mode.CLUSTER;
        } else {
            try {
                mode = Mode.valueOf(runMode.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("ray.run-mode must be LOCAL or CLUSTER, got '" + runMode + "'");
            }
        }
        String timeout = System.getProperty("revise.ray.connect-timeout-seconds");
        Duration connect = DEFAULT_CONNECT_TIMEOUT;
        if (timeout != null) {
            try {
                connect = Duration.ofMillis(Math.round(Double.parseDouble(timeout) * 1000));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "revise.ray.connect-timeout-seconds must be a number, got '" + timeout + "'");
            }
        }
        String session = blankToNull(System.getProperty("ray.session-dir"));
        return new RayOptions(
                mode,
                address,
                blankToNull(System.getProperty("ray.job.code-search-path")),
                connect,
                session == null ? null : Path.of(session));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
