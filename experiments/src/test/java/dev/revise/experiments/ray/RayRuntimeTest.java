package dev.revise.experiments.ray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ray.api.ActorHandle;
import io.ray.api.Ray;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cluster mode's fail-fast checks (no Ray installation here, and only loopback addresses) and the
 * LOCAL lifecycle. No cluster-mode test reaches Ray.init: a real init against a fake head could
 * leave a native thread holding Ray's lock for the rest of the JVM.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RayRuntimeTest {
    static final Duration SHORT = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    /** A PATH holding an executable named ray, so the later checks are reached. */
    private String fakeRayPath() throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path ray = bin.resolve("ray");
        Files.writeString(ray, "#!/bin/sh\nexit 1\n");
        Files.setPosixFilePermissions(ray, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin.toString();
    }

    private String codePath() throws IOException {
        return Files.createDirectories(dir.resolve("lib")).toString();
    }

    /** A loopback port with nothing listening. */
    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static final Runnable NO_INIT = () -> {
        throw new AssertionError("Ray.init must not be reached");
    };

    @Test
    void clusterModeWithoutRayOnPathSaysWhatToInstall() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        var host = new RayRuntime.Host(empty.toString(), null, dir.resolve("none"));
        var options = RayOptions.cluster("127.0.0.1:6379", codePath(), SHORT);
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> RayRuntime.start(options, host, NO_INIT));
        assertThat(e.getMessage())
                .startsWith("Ray cluster mode needs a Ray installation")
                .contains("pip install 'ray[default]==2.39.0' on every node")
                .contains("ray start --head --port=6379");
        assertFalse(Ray.isInitialized());
    }

    @Test
    void clusterModeWithNoHeadListeningFailsWithinTheTimeout() throws IOException {
        int port = closedPort();
        var host = new RayRuntime.Host(fakeRayPath(), null, dir.resolve("none"));
        var options = RayOptions.cluster("127.0.0.1:" + port, codePath(), SHORT);
        long t0 = System.nanoTime();
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> RayRuntime.start(options, host, NO_INIT));
        assertThat(e.getMessage())
                .startsWith("no Ray head reachable at 127.0.0.1:" + port)
                .contains("ray start --head --port=" + port);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        assertNull(System.getProperty("ray.address"), "no property is set before the checks pass");
    }

    @Test
    void autoAddressWithoutARunningClusterSaysSo() throws IOException {
        var host = new RayRuntime.Host(fakeRayPath(), null, dir.resolve("ray").resolve("ray_current_cluster"));
        var options = RayOptions.cluster("auto", codePath(), SHORT);
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> RayRuntime.start(options, host, NO_INIT));
        assertThat(e.getMessage())
                .startsWith("ray.address=auto but no running Ray cluster was found")
                .contains("ray start --head --port=6379");
    }

    @Test
    void autoAddressIsReadFromRayAddressOrTheCurrentClusterFile() throws IOException {
        int port = closedPort();
        Path current = Files.writeString(dir.resolve("ray_current_cluster"), "127.0.0.1:" + port + "\n");
        var fromFile = new RayRuntime.Host(fakeRayPath(), null, current);
        assertEquals("127.0.0.1:" + port, RayRuntime.resolveAddress("auto", fromFile));
        var fromEnv = new RayRuntime.Host(fakeRayPath(), "127.0.0.1:7000", current);
        assertEquals("127.0.0.1:7000", RayRuntime.resolveAddress("auto", fromEnv));
        IllegalStateException e = assertThrows(
                IllegalStateException.class,
                () -> RayRuntime.start(RayOptions.cluster("auto", codePath(), SHORT), fromFile, NO_INIT));
        assertThat(e.getMessage()).startsWith("no Ray head reachable at 127.0.0.1:" + port);
    }

    @Test
    void clusterModeNeedsAnAddressAndAnExistingCodeSearchPath() throws IOException {
        var host = new RayRuntime.Host(fakeRayPath(), null, dir.resolve("none"));
        assertThat(assertThrows(
                                IllegalStateException.class,
                                () -> RayRuntime.start(RayOptions.cluster(null, codePath(), SHORT), host, NO_INIT))
                        .getMessage())
                .startsWith("Ray cluster mode needs -Dray.address=<head>:6379");
        assertThat(assertThrows(
                                IllegalStateException.class,
                                () -> RayRuntime.start(
                                        RayOptions.cluster("127.0.0.1:6379", null, SHORT), host, NO_INIT))
                        .getMessage())
                .startsWith("Ray cluster mode needs -Dray.job.code-search-path");
        String missing = dir.resolve("no-such-lib").toString();
        assertThat(assertThrows(
                                IllegalStateException.class,
                                () -> RayRuntime.start(
                                        RayOptions.cluster("127.0.0.1:6379", codePath() + ":" + missing, SHORT),
                                        host,
                                        NO_INIT))
                        .getMessage())
                .startsWith("ray.job.code-search-path entry " + missing + " does not exist");
        assertThat(assertThrows(
                                IllegalArgumentException.class,
                                () -> RayRuntime.start(
                                        RayOptions.cluster("127.0.0.1", codePath(), SHORT), host, NO_INIT))
                        .getMessage())
                .startsWith("ray.address must be host:port");
        assertThat(assertThrows(
                                IllegalArgumentException.class,
                                () -> RayRuntime.start(
                                        RayOptions.cluster("ray://127.0.0.1:10001", codePath(), SHORT), host, NO_INIT))
                        .getMessage())
                .contains("Ray Client address");
    }

    @Test
    void anInitThatNeverReturnsFailsAtTheDeadline() {
        CountDownLatch never = new CountDownLatch(1);
        long t0 = System.nanoTime();
        IllegalStateException e = assertThrows(
                IllegalStateException.class,
                () -> RayRuntime.callWithTimeout(
                        () -> {
                            try {
                                never.await();
                            } catch (InterruptedException ignored) {
                                Thread.currentThread().interrupt();
                            }
                        },
                        Duration.ofMillis(300),
                        () -> "Ray.init did not connect"));
        assertEquals("Ray.init did not connect", e.getMessage());
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
        IllegalStateException failed = assertThrows(
                IllegalStateException.class,
                () -> RayRuntime.callWithTimeout(
                        () -> {
                            throw new RuntimeException(new java.io.IOException("Cannot run program \"ray\""));
                        },
                        SHORT,
                        () -> "unused"));
        assertThat(failed.getMessage()).contains("pip install 'ray[default]==2.39.0'");
    }

    @Test
    void localModeNeedsNoInstallationAndCloseShutsRayDown() {
        String before = System.getProperty("ray.session-dir");
        try (RayRuntime ray = RayRuntime.start(RayOptions.local())) {
            assertTrue(ray.isLocal());
            assertTrue(Ray.isInitialized());
            assertTrue(Ray.getRuntimeContext().isLocalMode());
            ActorHandle<RayLocalModeTest.Echo> echo =
                    Ray.actor(RayLocalModeTest.Echo::new).remote();
            assertEquals(
                    "{\"echo\":1,\"calls\":1}",
                    echo.task(RayLocalModeTest.Echo::json, "1").remote().get());
            assertThrows(IllegalStateException.class, () -> RayRuntime.start(RayOptions.local()));
        }
        assertFalse(Ray.isInitialized());
        assertEquals(before, System.getProperty("ray.session-dir"));
    }

    @Test
    void optionsFromSystemProperties() {
        String[] keys = {"ray.run-mode", "ray.address", "ray.job.code-search-path", "revise.ray.connect-timeout-seconds"
        };
        String[] saved = new String[keys.length];
        for (int i = 0; i < keys.length; i++) {
            saved[i] = System.getProperty(keys[i]);
            System.clearProperty(keys[i]);
        }
        try {
            assertEquals(
                    RayOptions.Mode.LOCAL, RayOptions.fromSystemProperties().mode());
            System.setProperty("ray.address", "127.0.0.1:6379");
            System.setProperty("revise.ray.connect-timeout-seconds", "2.5");
            RayOptions o = RayOptions.fromSystemProperties();
            assertEquals(RayOptions.Mode.CLUSTER, o.mode());
            assertEquals(Duration.ofMillis(2500), o.connectTimeout());
            System.setProperty("ray.run-mode", "bogus");
            assertThrows(IllegalArgumentException.class, RayOptions::fromSystemProperties);
        } finally {
            for (int i = 0; i < keys.length; i++) {
                if (saved[i] == null) {
                    System.clearProperty(keys[i]);
                } else {
                    System.setProperty(keys[i], saved[i]);
                }
            }
        }
    }

    @Test
    void clusterWorkersGetTheProjectsJvmFlagsAfterTheUsersOwn() {
        java.util.Properties user = new java.util.Properties();
        user.setProperty("ray.job.jvm-options.0", "-Xmx8g");
        user.setProperty("ray.job.jvm-options.1", "-Dai.djl.offline=true");
        user.setProperty("ray.job.runtime-env.env-vars.DJL_OFFLINE", "true");
        java.util.Map<String, String> props = RayRuntime.workerJvmProperties(
                user, List.of("-Xmx2g", "--add-opens=java.base/java.lang=ALL-UNNAMED", "-Dfoo=1"));
        assertEquals(
                java.util.Map.of(
                        "ray.job.jvm-options.2", "-DOPT_OUT_TRACKING=true",
                        "ray.job.jvm-options.3", "--add-opens=java.base/java.lang=ALL-UNNAMED",
                        "ray.job.runtime-env.env-vars.OPT_OUT_TRACKING", "true"),
                props);
        java.util.Properties gap = new java.util.Properties();
        gap.setProperty("ray.job.jvm-options.0", "-Xmx8g");
        gap.setProperty("ray.job.jvm-options.2", "-Dfoo=1"); // Typesafe allows gaps: nothing may land on 2
        assertEquals(
                "-Dai.djl.offline=true",
                RayRuntime.workerJvmProperties(gap, List.of()).get("ray.job.jvm-options.3"));
    }

    @Test
    void raysOwnConfigReaderTurnsThemIntoWorkerOptionsAndEnvironment() {
        java.util.Map<String, String> props = RayRuntime.workerJvmProperties(new java.util.Properties(), List.of());
        java.util.Map<String, String> saved = new java.util.HashMap<>();
        props.forEach((k, v) -> saved.put(k, System.getProperty(k)));
        try {
            props.forEach(System::setProperty);
            io.ray.runtime.config.RayConfig config = io.ray.runtime.config.RayConfig.create();
            assertEquals(RayRuntime.WORKER_JVM_OPTIONS, config.jvmOptionsForJavaWorker);
            com.typesafe.config.Config env = config.getInternalConfig().getConfig("ray.job.runtime-env.env-vars");
            assertEquals("true", env.getString("OPT_OUT_TRACKING"));
            assertEquals("true", env.getString("DJL_OFFLINE"));
        } finally {
            saved.forEach((k, v) -> {
                if (v == null) {
                    System.clearProperty(k);
                } else {
                    System.setProperty(k, v);
                }
            });
        }
    }
}
