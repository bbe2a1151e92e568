package dev.revise.experiments.ray;

import io.ray.api.Ray;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ray's lifecycle for one run: {@link #start} checks what cluster mode needs before touching Ray
 * (Ray itself either fails with {@code Cannot run program "ray"} or retries a dead address
 * forever), then runs {@code Ray.init} with a deadline; {@link #close} shuts Ray down and restores
 * the system properties it set. One per JVM at a time, as Ray allows.
 */
public final class RayRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RayRuntime.class);

    static final String INSTALL_HINT = "pip install 'ray[default]==2.39.0' on every node, start the head with"
            + " 'ray start --head --port=6379' and each worker node with 'ray start --address=<head>:6379'";

    private final RayOptions options;
    private final String address;
    private final Map<String, String> previousProperties;
    private final Path createdSessionDir;
    private boolean closed;

    private RayRuntime(
            RayOptions options, String address, Map<String, String> previousProperties, Path createdSessionDir) {
        this.options = options;
        this.address = address;
        this.previousProperties = previousProperties;
        this.createdSessionDir = createdSessionDir;
    }

    /** What the checks read from the machine; tests substitute their own. */
    record Host(String pathEnv, String rayAddressEnv, Path currentClusterFile) {
        static Host current() {
            String tmp = System.getenv("RAY_TMPDIR");
            if (tmp == null || tmp.isBlank()) {
                tmp = System.getenv("TMPDIR");
            }
            if (tmp == null || tmp.isBlank()) {
                tmp = "/tmp";
            }
            // `ray start --head` records the GCS address here; Ray's own tools resolve `auto` from it
            return new Host(
                    System.getenv("PATH"), System.getenv("RAY_ADDRESS"), Path.of(tmp, "ray", "ray_current_cluster"));
        }
    }

    public static RayRuntime start(RayOptions options) {
        if (options.mode() == RayOptions.Mode.CLUSTER) {
            String runtime = String.valueOf(
                    Ray.class.getProtectionDomain().getCodeSource().getLocation());
            if (runtime.matches(".*/ray-api-[^/]*\\.jar")) {
                // Maven's Ray jars cannot talk to a cluster of another version (Ray.init fails inside Ray)
                throw new IllegalStateException("this driver runs Maven's Ray (" + runtime + "), which serves LOCAL"
                        + " mode only; a cluster's driver runs the cluster's own ray_dist.jar: start it with"
                        + " ./revise (it relaunches on the jar of the 'ray' on PATH, or REVISE_RAY_JAR)");
            }
        }
        return start(options, Host.current(), Ray::init);
    }

    static RayRuntime start(RayOptions options, Host host, Runnable init) {
        if (Ray.isInitialized()) {
            throw new IllegalStateException("Ray is already initialised in this JVM: close the previous RayRuntime");
        }
        Map<String, String> props = new LinkedHashMap<>();
        Path created = null;
        String address = null;
        if (options.mode() == RayOptions.Mode.LOCAL) {
            Path session = options.sessionDir();
            if (session == null) {
                try {
                    session = created = Files.createTempDirectory("revise-ray-");
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot create a Ray session directory", e);
                }
            }
            props.put("ray.run-mode", "LOCAL");
            props.put("ray.session-dir", session.toString());
        } else {
            address = checkCluster(options, host);
            props.put("ray.run-mode", "CLUSTER");
            props.put("ray.address", address);
            props.put("ray.job.code-search-path", options.codeSearchPath());
            props.putAll(workerJvmProperties(
                    System.getProperties(),
                    java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()));
        }
        Map<String, String> previous = setProperties(props);
        String target = address;
        try {
            callWithTimeout(
                    init,
                    options.connectTimeout(),
                    () -> target == null
                            ? "Ray.init (LOCAL mode) did not finish within " + seconds(options.connectTimeout())
                            : "Ray.init did not connect to the Ray cluster at " + target + " within "
                                    + seconds(options.connectTimeout())
                                    + " although its port is open: check that it runs Ray 2.39.0 (ray --version),"
                                    + " that this machine is a node of it (ray start --address=" + target
                                    + "), and raise -Drevise.ray.connect-timeout-seconds if the head is slow");
        } catch (RuntimeException e) {
            restore(previous);
            deleteQuietly(created);
            // after a timeout the init thread may hold Ray's lock, so shutdown() would block too
            if (!(e instanceof InitTimeoutException) && Ray.isInitialized()) {
                Ray.shutdown();
            }
            throw e;
        }
        restoreLogging();
        LOG.info("Ray started in {} mode{}", options.mode(), address == null ? "" : " at " + address);
        return new RayRuntime(options, address, previous, created);
    }

    /** The JVM options every worker of this project needs, whoever starts it (DJL never tries the network). */
    static final List<String> WORKER_JVM_OPTIONS = List.of("-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true");

    /** Environment variables for the worker processes (DJL reads both spellings of the opt-out). */
    static final Map<String, String> WORKER_ENV = Map.of("OPT_OUT_TRACKING", "true", "DJL_OFFLINE", "true");

    /**
     * The Ray job properties that give cluster-mode Java workers, which raylets start, what this
     * JVM was started with: DJL offline and untracked, and this JVM's {@code --add-opens} (Ray's
     * serializers need them on Java 17). Appended after any {@code ray.job.jvm-options.N} the
     * user set; an option already there is not repeated; a user's env var is not overridden. (Like
     * any system property, these replace a {@code jvm-options} list of a ray.conf file.)
     */
    static Map<String, String> workerJvmProperties(java.util.Properties current, List<String> thisJvmArguments) {
        List<String> existing = new ArrayList<>();
        int last = -1; // Typesafe config orders numbered keys and allows gaps: append after the largest
        for (String k : current.stringPropertyNames()) {
            if (k.matches("ray\\.job\\.jvm-options\\.\\d+")) {
                existing.add(current.getProperty(k));
                last = Math.max(last, Integer.parseInt(k.substring(k.lastIndexOf('.') + 1)));
            }
        }
        List<String> wanted = new ArrayList<>(WORKER_JVM_OPTIONS);
        for (String a : thisJvmArguments) {
            if (a.startsWith("--add-opens")) {
                wanted.add(a);
            }
        }
        Map<String, String> props = new LinkedHashMap<>();
        int next = last + 1;
        for (String option : wanted) {
            if (!existing.contains(option)) {
                props.put("ray.job.jvm-options." + next++, option);
                existing.add(option);
            }
        }
        new java.util.TreeMap<>(WORKER_ENV).forEach((k, v) -> {
            String key = "ray.job.runtime-env.env-vars." + k;
            if (current.getProperty(key) == null) {
                props.put(key, v);
            }
        });
        return props;
    }

    /** Returns the resolved head address, or throws saying what to install or start. */
    static String checkCluster(RayOptions options, Host host) {
        if (findOnPath("ray", host.pathEnv()) == null) {
            throw new IllegalStateException("Ray cluster mode needs a Ray installation, and no 'ray' executable is on"
                    + " PATH (" + host.pathEnv() + "): " + INSTALL_HINT
                    + "; or use LOCAL mode (-Dray.run-mode=LOCAL), which needs no installation");
        }
        String search = options.codeSearchPath();
        if (search == null || search.isBlank()) {
            throw new IllegalStateException("Ray cluster mode needs -Dray.job.code-search-path: the jars and"
                    + " directories with this project's classes (e.g. experiments/target/lib:experiments/target/"
                    + "revise.jar, which the revise launcher passes), at the same path on every node");
        }
        for (String entry : search.split(File.pathSeparator)) {
            if (!entry.isBlank() && !Files.exists(Path.of(entry))) {
                throw new IllegalStateException("ray.job.code-search-path entry " + entry + " does not exist;"
                        + " build with 'mvn package' and copy the jars to the same path on every node");
            }
            if (!entry.isBlank() && holdsMavenRay(Path.of(entry))) {
                throw new IllegalStateException("ray.job.code-search-path entry " + entry + " holds Maven's Ray jars"
                        + " (ray-api, ray-runtime): Ray's workers run the cluster's own Ray, so list revise's jars"
                        + " without them (leave rollout.code_search_path unset: ./revise computes it)");
            }
        }
        String address = resolveAddress(options.address(), host);
        int colon = address.lastIndexOf(':');
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            port = -1;
        }
        if (colon <= 0 || port < 1 || port > 65535) {
            throw new IllegalArgumentException(
                    "ray.address must be host:port (the head's GCS port, 6379 by default) or auto, got '" + address
                            + "'");
        }
        String hostName = address.substring(0, colon);
        try (Socket s = new Socket()) {
            s.connect(
                    new InetSocketAddress(hostName, port),
                    Math.toIntExact(
                            Math.min(Integer.MAX_VALUE, options.connectTimeout().toMillis())));
        } catch (IOException e) {
            throw new IllegalStateException("no Ray head reachable at " + address + " (" + e.getMessage()
                    + " within " + seconds(options.connectTimeout()) + "): start it with 'ray start --head --port="
                    + port + "' on " + hostName + ", or fix -Dray.address; Ray setup: " + INSTALL_HINT);
        }
        return address;
    }

    private static boolean holdsMavenRay(Path entry) {
        if (Files.isDirectory(entry)) {
            try (var s = Files.list(entry)) {
                return s.anyMatch(ClusterDriver::isRayJar);
            } catch (IOException e) {
                return false;
            }
        }
        return ClusterDriver.isRayJar(entry);
    }

    static String resolveAddress(String address, Host host) {
        if (address == null || address.isBlank()) {
            throw new IllegalStateException("Ray cluster mode needs -Dray.address=<head>:6379 (or auto for a cluster"
                    + " started on this machine); without one Ray 2.39 would try to start a head itself");
        }
        if (address.startsWith("ray://")) {
            throw new IllegalArgumentException("ray.address " + address + " is a Ray Client address, which the Java"
                    + " API cannot use: give the head's GCS address host:6379");
        }
        if (!address.equals("auto")) {
            return address;
        }
        if (host.rayAddressEnv() != null && !host.rayAddressEnv().isBlank()) {
            return host.rayAddressEnv().trim();
        }
        try {
            if (host.currentClusterFile() != null && Files.isRegularFile(host.currentClusterFile())) {
                String recorded = Files.readString(host.currentClusterFile()).trim();
                if (!recorded.isEmpty()) {
                    return recorded;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + host.currentClusterFile(), e);
        }
        throw new IllegalStateException("ray.address=auto but no running Ray cluster was found on this machine"
                + " (RAY_ADDRESS is unset and " + host.currentClusterFile() + " does not exist): start the head with"
                + " 'ray start --head --port=6379' or pass -Dray.address=<head>:6379; Ray setup: " + INSTALL_HINT);
    }

    static Path findOnPath(String executable, String pathEnv) {
        if (pathEnv == null) {
            return null;
        }
        for (String dir : pathEnv.split(File.pathSeparator)) {
            if (dir.isBlank()) {
                continue;
            }
            Path candidate = Path.of(dir, executable);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /**
     * Runs {@code task} on a daemon thread so that a native call stuck reconnecting cannot block
     * the run: after the deadline the thread is abandoned (it cannot be stopped) and the run fails.
     */
    static void callWithTimeout(Runnable task, Duration timeout, java.util.function.Supplier<String> onTimeout) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread t = new Thread(
                () -> {
                    try {
                        task.run();
                        done.complete(null);
                    } catch (Throwable e) {
                        done.completeExceptionally(e);
                    }
                },
                "ray-init");
        t.setDaemon(true);
        t.start();
        try {
            done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            t.interrupt();
            throw new InitTimeoutException(onTimeout.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting Ray", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            String text = String.valueOf(cause);
            boolean noRay = false;
            for (Throwable c = cause; c != null && !noRay; c = c.getCause() == c ? null : c.getCause()) {
                noRay = String.valueOf(c.getMessage()).contains("Cannot run program \"ray\"");
            }
            if (noRay) {
                throw new IllegalStateException(
                        "Ray tried to start a head itself and found no 'ray' executable: " + INSTALL_HINT, cause);
            }
            throw new IllegalStateException("Ray.init failed: " + text, cause);
        }
    }

    /** Ray did not start within the connect timeout. */
    static final class InitTimeoutException extends IllegalStateException {
        InitTimeoutException(String message) {
            super(message);
        }
    }

    private static Map<String, String> setProperties(Map<String, String> props) {
        Map<String, String> previous = new LinkedHashMap<>();
        props.forEach((k, v) -> {
            previous.put(k, System.getProperty(k));
            System.setProperty(k, v);
        });
        return previous;
    }

    private static void restore(Map<String, String> previous) {
        previous.forEach((k, v) -> {
            if (v == null) {
                System.clearProperty(k);
            } else {
                System.setProperty(k, v);
            }
        });
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.debug("could not delete Ray session directory {}: {}", dir, e.toString());
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    /**
     * Ray.init installs Ray's own log4j2 configuration, which logs to stdout; the JSON-printing
     * commands need stdout clean, so the project's configuration (stderr only) is put back.
     */
    static void restoreLogging() {
        java.net.URL config = RayRuntime.class.getClassLoader().getResource("revise-log4j2.xml");
        if (config != null) {
            try {
                org.apache.logging.log4j.core.config.Configurator.reconfigure(config.toURI());
            } catch (java.net.URISyntaxException e) {
                LOG.warn("cannot restore the logging configuration: {}", e.getMessage());
            }
        }
    }

    public RayOptions options() {
        return options;
    }

    /** The head address in CLUSTER mode ({@code auto} resolved); null in LOCAL mode. */
    public String address() {
        return address;
    }

    public boolean isLocal() {
        return options.mode() == RayOptions.Mode.LOCAL;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Ray.shutdown();
        } finally {
            restore(previousProperties);
            deleteQuietly(createdSessionDir);
        }
    }
}
