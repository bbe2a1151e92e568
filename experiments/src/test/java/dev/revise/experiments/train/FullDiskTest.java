package dev.revise.experiments.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint write that runs out of disk (a tmpfs of our own, in a mount namespace) stops the
 * run with an error naming the checkpoint and the bytes it needs; the partial directory is gone,
 * the previous checkpoint and {@code latest} are intact, metrics.jsonl has only whole lines, and
 * once there is room {@code --resume} ends bit-identical to a run that never hit the full disk.
 */
class FullDiskTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void aFullDiskAtACheckpointKeepsThePreviousOneAndTheRunResumesBitIdentically() throws Exception {
        Path config = dir.resolve("run.yaml");
        Files.writeString(config, "");
        List<String> sets = new ArrayList<>(ResumeTest.scoreRun());
        sets.add("checkpoint.keep_last=1"); // at step 4 two checkpoints coexist until step 2's is pruned
        Path straight = dir.resolve("straight");
        Process p = ResumeTest.start(ResumeTest.trainArguments(config, straight, sets, false), dir.resolve("s.log"));
        assertEquals(0, p.waitFor(), () -> read(dir.resolve("s.log")));
        long checkpoint = bytes(straight.resolve("checkpoints/step-000006"));
        long rest = bytes(straight) - checkpoint;
        // room for everything else and one checkpoint and a half: step 2's fits, step 4's does not
        long size = rest + checkpoint * 3 / 2 + 64 * 4096;

        Path mount = Files.createDirectories(dir.resolve("disk"));
        Path out = Files.createDirectories(dir.resolve("out"));
        Path run = mount.resolve("run");
        String script = String.join(
                "\n",
                "mount -t tmpfs -o size=" + size + " tmpfs '" + mount + "' || exit 97",
                "\"$@\" " + quoted(ResumeTest.trainArguments(config, run, sets, false)) + " > '" + out
                        + "/full.log' 2>&1; echo $? > '" + out + "/status-full'",
                "ls -a '" + run + "/checkpoints' > '" + out + "/checkpoints-after'",
                "cp '" + run + "/metrics.jsonl' '" + out + "/metrics-after'",
                "cp -a '" + run + "/checkpoints/step-000002' '" + out + "/step-000002'",
                "mount -o remount,size=" + (size + 8 * checkpoint) + " tmpfs '" + mount + "' || exit 98",
                "\"$@\" " + quoted(ResumeTest.trainArguments(config, run, sets, true)) + " > '" + out
                        + "/resumed.log' 2>&1; echo $? > '" + out + "/status-resumed'",
                "cp -a '" + run + "' '" + out + "/run'");
        List<String> cmd = new ArrayList<>(List.of("unshare", "--mount", "--map-root-user", "sh", "-c", script, "sh"));
        cmd.addAll(ResumeTest.command(List.of()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.redirectOutput(dir.resolve("namespace.log").toFile());
        int status;
        try {
            status = pb.start().waitFor();
        } catch (java.io.IOException e) {
            Assumptions.abort("no unshare(1) here: " + e.getMessage());
            return;
        }
        String ns = read(dir.resolve("namespace.log"));
        Assumptions.assumeTrue(
                status != 97 && !ns.contains("unshare: "), "cannot mount a tmpfs in a user namespace here: " + ns);
        assertEquals(0, status, ns);

        String full = read(out.resolve("full.log"));
        full.lines().filter(l -> l.startsWith("revise train: ")).forEach(System.out::println);
        assertEquals("2", read(out.resolve("status-full")).strip(), full);
        assertThat(full)
                .contains("writing checkpoint " + run.resolve("checkpoints/step-000004") + " failed")
                .contains("No space left on device")
                .contains("a checkpoint of this run needs about " + bytes(out.resolve("step-000002"))
                        + " bytes (the size of step-000002) next to the ones kept, and ")
                .contains("still names step-000002, intact");
        assertThat(read(out.resolve("checkpoints-after")).lines())
                .containsExactlyInAnyOrder(".", "..", "latest", "step-000002");
        for (String line : Files.readAllLines(out.resolve("metrics-after"))) {
            assertThat(line).startsWith("{\"step\":").endsWith("}");
        }
        assertEquals("0", read(out.resolve("status-resumed")).strip(), read(out.resolve("resumed.log")));
        ResumeTest.assertSameRun(straight, out.resolve("run"));
    }

    private static long bytes(Path p) throws Exception {
        if (!Files.exists(p)) {
            return -1;
        }
        try (Stream<Path> s = Files.walk(p)) {
            return s.filter(Files::isRegularFile)
                    .mapToLong(f -> f.toFile().length())
                    .sum();
        }
    }

    private static String quoted(List<String> args) {
        StringBuilder b = new StringBuilder();
        for (String a : args) {
            b.append(" '").append(a.replace("'", "'\\''")).append('\'');
        }
        return b.toString().strip();
    }

    private static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (java.io.IOException e) {
            return "(no " + f + ")";
        }
    }
}
