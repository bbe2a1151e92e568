package dev.revise.experiments.ray;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A driver of a real Ray cluster must run the cluster's own Ray: revise compiles against Maven's
 * Ray API (Central stopped publishing Java jars at 2.47.1) and runs LOCAL mode on it, while a
 * cluster's Java runtime is the {@code ray/jars/ray_dist.jar} of its Python package. This class
 * finds that jar (the Python behind the first {@code ray} on PATH, or {@code REVISE_RAY_JAR}),
 * compares its version with the cluster's before {@code Ray.init}, and runs the command again in a
 * JVM whose class path has the cluster's jar in place of Maven's Ray jars. Ray's jars are kept out
 * of the code search path the workers load revise from.
 */
public final class ClusterDriver {
    /** Set in the relaunched JVM, so it does not relaunch again. */
    static final String RELAUNCHED = "revise.ray.relaunched";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Asks the installation its version and jar, and the head its version (null when unreachable). */
    private static final String PROBE = String.join(
            "\n",
            "import json, os, sys",
            "import ray",
            "out = {'version': ray.__version__,",
            "       'jar': os.path.join(os.path.dirname(ray.__file__), 'jars', 'ray_dist.jar'), 'cluster': None}",
            "if len(sys.argv) > 1:",
            "    try:",
            "        from ray._raylet import GcsClient",
            "        meta = GcsClient(address=sys.argv[1]).internal_kv_get(b'CLUSTER_METADATA', b'cluster')",
            "        out['cluster'] = json.loads(meta)['ray_version'] if meta else None",
            "    except Exception as e:",
            "        out['cluster_error'] = str(e)",
            "print(json.dumps(out))");

    /**
     * The Ray installation a cluster driver uses.
     *
     * @param version the installation's Ray version
     * @param distJar its Java runtime (or {@code REVISE_RAY_JAR})
     * @param clusterVersion the head's Ray version, or null when it could not be asked
     */
    public record Installation(String version, Path distJar, String clusterVersion) {}

    private ClusterDriver() {}

    /**
     * Finds the installation behind {@code ray} on PATH and asks the head at {@code address} its
     * version; refuses a missing jar or a version mismatch, naming both.
     */
    public static Installation check(String address, Map<String, String> env) {
        Path ray = RayRuntime.findOnPath("ray", env.getOrDefault("PATH", ""));
        if (ray == null) {
            throw new IllegalStateException("Ray cluster mode needs the cluster's Ray installation, and no 'ray'"
                    + " executable is on PATH: pip install ray==<the cluster's version> (e.g. in a venv on PATH)");
        }
        Path python = interpreter(ray);
        JsonNode probe = probe(python, address);
        String version = probe.get("version").asText();
        String override = env.get("REVISE_RAY_JAR");
        Path jar = Path.of(
                override != null && !override.isBlank()
                        ? override
                        : probe.get("jar").asText());
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("Ray " + version + " at " + python + " has no Java runtime at " + jar
                    + (override != null ? " (REVISE_RAY_JAR)" : "") + ": install a Ray wheel that ships"
                    + " ray/jars/ray_dist.jar, or point REVISE_RAY_JAR at one");
        }
        String cluster = probe.hasNonNull("cluster") ? probe.get("cluster").asText() : null;
        if (cluster != null && !cluster.equals(version)) {
            throw new IllegalStateException(
                    "the Ray cluster at " + address + " runs Ray " + cluster + " but the 'ray' on"
                            + " PATH (" + ray + ") is Ray " + version + ": a driver must run the cluster's version; pip"
                            + " install ray==" + cluster);
        }
        return new Installation(version, jar, cluster);
    }

    /**
     * Runs this command again with the cluster's Ray on the class path, unless this JVM already
     * does; returns the child's exit status, or null when this JVM is the right one.
     */
    public static Integer relaunchIfNeeded(String address, String codeSearchPath, List<String> args) {
        if (Boolean.getBoolean(RELAUNCHED)) {
            return null;
        }
        Installation ray = check(RayRuntime.resolveAddress(address, RayRuntime.Host.current()), System.getenv());
        Path reviseJar = reviseJar();
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-Dray.job.code-search-path=") && !a.startsWith("-Dray.run-mode=")) {
                cmd.add(a);
            }
        }
        cmd.add("-D" + RELAUNCHED + "=true");
        cmd.add("-Dray.job.code-search-path=" + (codeSearchPath != null ? codeSearchPath : codeSearchPath(reviseJar)));
        cmd.add("-cp");
        cmd.add(driverClassPath(reviseJar, ray.distJar()));
        cmd.add("dev.revise.experiments.cli.ReviseCli");
        cmd.addAll(args);
        try {
            Process p = new ProcessBuilder(cmd).inheritIO().start();
            Runtime.getRuntime().addShutdownHook(new Thread(p::destroy)); // a killed driver takes its child along
            // a stop signal (handlers installed by train / sweep) goes on to the driver that trains,
            // which checkpoints and exits 143 / 130: this JVM returns that status
            java.util.function.Consumer<dev.revise.experiments.preemption.Preemption.Stop> forward =
                    stop -> dev.revise.experiments.preemption.Preemption.forward(stop, p.toHandle());
            dev.revise.experiments.preemption.Preemption.onSignal(forward);
            try {
                return p.waitFor();
            } finally {
                dev.revise.experiments.preemption.Preemption.removeSignalListener(forward);
            }
        } catch (IOException e) {
            throw new IllegalStateException("starting the cluster driver JVM failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the cluster driver ran", e);
        }
    }

    /**
     * In a relaunched driver: exit when the JVM that started it dies, even by SIGKILL, so a killed
     * driver never leaves its cluster driver (and the actors it owns) running.
     */
    public static void followParent() {
        if (Boolean.getBoolean(RELAUNCHED)) {
            ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(ClusterDriver::dieKilled));
        }
    }

    /**
     * Ends this JVM as its killed parent ended: by SIGKILL. Why not {@code halt}: it runs the native
     * libraries' exit handlers while Ray's core-worker threads still serve requests, which
     * crashed the JVM (SIGSEGV in libcore_worker_library_java) and left hs_err files in the
     * working directory.
     */
    private static void dieKilled() {
        try {
            new ProcessBuilder(
                            "kill",
                            "-KILL",
                            Long.toString(ProcessHandle.current().pid()))
                    .start()
                    .waitFor();
        } catch (java.io.IOException | InterruptedException e) {
            // no kill(1): fall through
        }
        Runtime.getRuntime().halt(137);
    }

    /** revise's jars without Maven's Ray jars, then the cluster's runtime, then revise itself. */
    static String driverClassPath(Path reviseJar, Path rayDist) {
        List<String> out = new ArrayList<>(libraries(reviseJar));
        out.add(rayDist.toString());
        out.add(reviseJar.toString());
        return String.join(File.pathSeparator, out);
    }

    /** What Ray's workers load revise from: its jars without Ray's (the workers run the cluster's). */
    static String codeSearchPath(Path reviseJar) {
        List<String> out = new ArrayList<>(libraries(reviseJar));
        out.add(reviseJar.toString());
        return String.join(File.pathSeparator, out);
    }

    /** Whether a jar is one of Maven's Ray jars, which must not reach a cluster's JVMs. */
    static boolean isRayJar(Path jar) {
        String n = jar.getFileName().toString();
        return n.startsWith("ray-api-") || n.startsWith("ray-runtime-");
    }

    private static List<String> libraries(Path reviseJar) {
        Path lib = reviseJar.getParent().resolve("lib");
        try (Stream<Path> s = Files.list(lib)) {
            return s.filter(p -> p.toString().endsWith(".jar"))
                    .filter(p -> !isRayJar(p))
                    .sorted()
                    .map(Path::toString)
                    .toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + lib + " (build with 'mvn package'): " + e.getMessage(), e);
        }
    }

    private static Path reviseJar() {
        try {
            Path p = Path.of(ClusterDriver.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
            if (!p.toString().endsWith(".jar")) {
                throw new IllegalStateException("cluster mode runs from the packaged revise.jar (./revise), not from "
                        + p + ": build with 'mvn package' and use ./revise");
            }
            return p;
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate revise.jar", e);
        }
    }

    /** The Python interpreter of a {@code ray} console script (its shebang line). */
    static Path interpreter(Path rayScript) {
        try {
            String first = Files.readAllLines(rayScript, StandardCharsets.UTF_8).stream()
                    .findFirst()
                    .orElse("");
            if (first.startsWith("#!")) {
                String[] parts = first.substring(2).trim().split("\\s+");
                return Path.of(parts[parts.length == 2 && parts[0].endsWith("env") ? 1 : 0]);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            // a binary launcher: fall back to python3 on PATH
        }
        return Path.of("python3");
    }

    private static JsonNode probe(Path python, String address) {
        List<String> cmd = new ArrayList<>(List.of(python.toString(), "-c", PROBE));
        if (address != null) {
            cmd.add(address);
        }
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
            byte[] out = p.getInputStream().readAllBytes();
            byte[] err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("asking " + python + " for its Ray installation failed: "
                        + new String(err, StandardCharsets.UTF_8).strip());
            }
            String text = new String(out, StandardCharsets.UTF_8).strip();
            return JSON.readTree(text.substring(text.lastIndexOf('\n') + 1));
        } catch (IOException e) {
            throw new IllegalStateException("running " + python + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking " + python + " for Ray", e);
        }
    }
}
