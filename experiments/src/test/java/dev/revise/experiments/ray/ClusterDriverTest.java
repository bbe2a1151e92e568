package dev.revise.experiments.ray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cluster driver's Ray: which jar, which version, which class path (no Ray needed). */
class ClusterDriverTest {
    @TempDir
    Path dir;

    /** A 'ray' console script whose interpreter answers the probe with {@code json}. */
    private Map<String, String> fakeRay(String json) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path python = bin.resolve("python");
        Files.writeString(python, "#!/bin/sh\necho '" + json + "'\n");
        Path ray = bin.resolve("ray");
        Files.writeString(ray, "#!" + python + "\n# console script\n");
        for (Path p : List.of(python, ray)) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return Map.of("PATH", bin.toString());
    }

    @Test
    void aVersionMismatchIsRefusedByNameBeforeRayInit() throws Exception {
        Path jar = Files.writeString(dir.resolve("ray_dist.jar"), "jar");
        Map<String, String> env =
                fakeRay("{\"version\": \"2.39.0\", \"jar\": \"" + jar + "\", \"cluster\": \"2.58.0\"}");
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> ClusterDriver.check("127.0.0.1:6380", env));
        assertThat(e.getMessage()).contains("Ray 2.58.0", "Ray 2.39.0", "pip install ray==2.58.0");
    }

    @Test
    void theInstallationsJarOrRaysJarOverride() throws Exception {
        Path jar = Files.writeString(dir.resolve("ray_dist.jar"), "jar");
        Map<String, String> env =
                fakeRay("{\"version\": \"2.58.0\", \"jar\": \"" + jar + "\", \"cluster\": \"2.58.0\"}");
        ClusterDriver.Installation i = ClusterDriver.check("127.0.0.1:6380", env);
        assertEquals(jar, i.distJar());
        assertEquals("2.58.0", i.clusterVersion());
        Path other = Files.writeString(dir.resolve("other.jar"), "jar");
        Map<String, String> overridden = new java.util.HashMap<>(env);
        overridden.put("REVISE_RAY_JAR", other.toString());
        assertEquals(other, ClusterDriver.check("127.0.0.1:6380", overridden).distJar());
        overridden.put("REVISE_RAY_JAR", dir.resolve("missing.jar").toString());
        assertThat(assertThrows(IllegalStateException.class, () -> ClusterDriver.check(null, overridden))
                        .getMessage())
                .contains("REVISE_RAY_JAR", "missing.jar");
    }

    @Test
    void noRayOnPathSaysWhatToInstall() {
        assertThat(assertThrows(
                                IllegalStateException.class,
                                () -> ClusterDriver.check("127.0.0.1:6380", Map.of("PATH", dir.toString())))
                        .getMessage())
                .contains("pip install ray==");
    }

    /** Maven's Ray jars stay off the driver's and the workers' class paths; the cluster's comes before revise. */
    @Test
    void classPathsLeaveMavensRayOut() throws Exception {
        Path target = Files.createDirectories(dir.resolve("target/lib"));
        for (String n : List.of("a-1.jar", "ray-api-2.39.0.jar", "ray-runtime-2.39.0.jar", "z-2.jar")) {
            Files.writeString(target.resolve(n), "");
        }
        Path revise = Files.writeString(dir.resolve("target/revise.jar"), "");
        Path dist = dir.resolve("ray_dist.jar");
        assertEquals(
                String.join(
                        File.pathSeparator,
                        target.resolve("a-1.jar").toString(),
                        target.resolve("z-2.jar").toString(),
                        dist.toString(),
                        revise.toString()),
                ClusterDriver.driverClassPath(revise, dist));
        assertThat(ClusterDriver.codeSearchPath(revise))
                .doesNotContain("ray-api", "ray-runtime")
                .endsWith("revise.jar");
    }
}
