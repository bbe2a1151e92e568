package dev.revise.experiments.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.experiments.config.ConfigTree;
import dev.revise.experiments.preemption.Preempted;
import dev.revise.experiments.preemption.Preemption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM and SIGINT stop a run at the end of the update in flight with a checkpoint of that
 * update (exit 143 / 130), and {@code --resume} continues bit-identically; past {@code
 * checkpoint.signal_grace_s} the update is abandoned and the previous checkpoint stays the one to
 * resume from. Every run is its own {@code revise train} JVM, as under a scheduler.
 */
class PreemptionTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path shared;

    @TempDir
    Path dir;

    private static Path config;
    private static Path straight;

    @BeforeAll
    static void uninterrupted() throws Exception {
        config = shared.resolve("run.yaml");
        Files.writeString(config, "");
        straight = shared.resolve("straight");
        Process p = ResumeTest.start(
                ResumeTest.trainArguments(config, straight, ResumeTest.scoreRun(), false),
                shared.resolve("straight.log"));
        assertEquals(0, p.waitFor(), () -> read(shared.resolve("straight.log")));
    }

    /** Five SIGTERMs at seeded random points: during setup, updates, evaluations and checkpoint writes. */
    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void sigtermAtRandomPointsCheckpointsAndResumesBitIdentically() throws Exception {
        Random random = new Random(15);
        for (int trial = 0; trial < 5; trial++) {
            int linesBefore = random.nextInt(4); // 0: as soon as the run is set up; at most 3 of 6 updates
            int delayMs = random.nextInt(400);
            Path run = dir.resolve("stopped-" + trial);
            Path log = dir.resolve("stopped-" + trial + ".log");
            Process p = ResumeTest.start(ResumeTest.trainArguments(config, run, ResumeTest.scoreRun(), false), log);
            awaitLines(p, run, linesBefore);
            Thread.sleep(delayMs);
            assertTrue(p.isAlive(), "trial " + trial + ": finished before the signal: " + read(log));
            p.destroy(); // SIGTERM
            String where = "trial " + trial + " (after " + linesBefore + " lines + " + delayMs + " ms)";
            assertEquals(143, p.waitFor(), () -> where + ": " + read(log));
            assertThat(read(log)).contains("SIGTERM: finishing the update in flight", "stopped by SIGTERM after step");
            // the update that was in flight is checkpointed: no work lost
            long lastLogged = lastStep(run.resolve("metrics.jsonl"));
            assertEquals(
                    String.format("step-%06d", lastLogged),
                    Files.readString(run.resolve("checkpoints/latest")).strip(),
                    where);
            System.out.println(where + ": stopped after step " + lastLogged);
            Path resumedLog = dir.resolve("resumed-" + trial + ".log");
            Process resumed =
                    ResumeTest.start(ResumeTest.trainArguments(config, run, ResumeTest.scoreRun(), true), resumedLog);
            assertEquals(0, resumed.waitFor(), () -> read(resumedLog));
            ResumeTest.assertSameRun(straight, run);
        }
    }

    /** With no grace the update in flight is abandoned at once; the checkpoint before it is kept and resumes. */
    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void pastTheGraceTheUpdateInFlightIsAbandonedAndThePreviousCheckpointResumes() throws Exception {
        List<String> sets = new ArrayList<>(ResumeTest.scoreRun());
        sets.add("checkpoint.signal_grace_s=0");
        Path run = dir.resolve("abandoned");
        Path log = dir.resolve("abandoned.log");
        Process p = ResumeTest.start(ResumeTest.trainArguments(config, run, sets, false), log);
        Path latest = run.resolve("checkpoints/latest");
        while (!Files.exists(latest) && p.isAlive()) {
            Thread.sleep(5);
        }
        awaitLines(p, run, 2); // step 2 logged and checkpointed: update 3 is in flight
        p.destroy();
        assertEquals(143, p.waitFor(), () -> read(log));
        assertThat(read(log)).contains("did not finish within checkpoint.signal_grace_s = 0.0 s; abandoning it");
        assertEquals("step-000002", Files.readString(latest).strip());
        Process resumed =
                ResumeTest.start(ResumeTest.trainArguments(config, run, sets, true), dir.resolve("resumed.log"));
        assertEquals(0, resumed.waitFor(), () -> read(dir.resolve("resumed.log")));
        ResumeTest.assertSameRun(straight, run);
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void sigintExits130WithACheckpoint() throws Exception {
        Path run = dir.resolve("interrupted");
        Path log = dir.resolve("interrupted.log");
        Process p = ResumeTest.start(ResumeTest.trainArguments(config, run, ResumeTest.scoreRun(), false), log);
        awaitLines(p, run, 1);
        new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
        assertEquals(130, p.waitFor(), () -> read(log));
        assertThat(read(log)).contains("stopped by SIGINT after step");
        assertThat(run.resolve("checkpoints/latest")).exists();
    }

    /** A sweep's Ray tasks stop on the sweep's stop file as on a signal: checkpointed, {@link Preempted}. */
    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void aStopFileStopsARunAfterItsFirstUpdate() throws Exception {
        Path stop = dir.resolve("stop");
        Preemption.writeStopFile(stop, Preemption.Stop.of("SIGTERM"));
        Path run = dir.resolve("run");
        ConfigTree c = ConfigTree.resolve(config, ResumeTest.scoreRun());
        TrainingRun r = new TrainingRun(c, run, false, p -> {}, stop);
        Preempted e = org.junit.jupiter.api.Assertions.assertThrows(Preempted.class, r::run);
        assertEquals(143, e.exitStatus());
        assertThat(e.getMessage()).contains("after step 1 of 6");
        assertEquals(
                "step-000001",
                Files.readString(run.resolve("checkpoints/latest")).strip());
    }

    /** A sweep in child processes: SIGTERM to the sweep stops every running member at a checkpoint. */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aSweepForwardsTheSignalToItsMembersAndTheSameCommandResumesThem() throws Exception {
        stopAndRerunASweep(List.of("--parallel", "2"), 2);
    }

    /** A sweep of Ray tasks (LOCAL mode): the driver's stop file stops them; the next sweep removes it. */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aRaySweepStopsItsTasksThroughTheStopFileAndTheSameCommandResumesThem() throws Exception {
        stopAndRerunASweep(List.of("--on-ray"), 1);
    }

    private void stopAndRerunASweep(List<String> how, int running) throws Exception {
        Path sweep = dir.resolve("sweep");
        List<String> args = new ArrayList<>(List.of("sweep", "--config", config.toString()));
        for (String s : ResumeTest.scoreRun()) {
            args.addAll(List.of("--set", s));
        }
        args.addAll(List.of("--grid", "train.lr=0.002,0.003", "--seeds", "1", "--dir", sweep.toString()));
        args.addAll(how);
        Process p = ResumeTest.start(args, dir.resolve("sweep.log"));
        List<Path> members = List.of(sweep.resolve("lr=0.002/seed-0"), sweep.resolve("lr=0.003/seed-0"));
        for (Path m : members.subList(0, running)) {
            awaitLines(p, m, 1);
        }
        assertTrue(p.isAlive(), read(dir.resolve("sweep.log")));
        p.destroy();
        try {
            assertTrue(p.waitFor(2, TimeUnit.MINUTES), () -> "still running: " + read(dir.resolve("sweep.log")));
        } finally {
            p.destroyForcibly();
        }
        assertEquals(143, p.exitValue(), () -> read(dir.resolve("sweep.log")));
        String log = read(dir.resolve("sweep.log"));
        assertThat(log).contains("sweep stopped by SIGTERM", "run the same sweep command again to continue");
        for (Path m : members.subList(0, running)) {
            assertEquals(
                    String.format("step-%06d", lastStep(m.resolve("metrics.jsonl"))),
                    Files.readString(m.resolve("checkpoints/latest")).strip(),
                    m + ": " + log);
        }
        Process again = ResumeTest.start(args, dir.resolve("again.log"));
        assertEquals(0, again.waitFor(), () -> read(dir.resolve("again.log")));
        assertThat(read(dir.resolve("again.log"))).contains("resuming from");
        for (Path m : members) {
            assertEquals(
                    "step-000006",
                    Files.readString(m.resolve("checkpoints/latest")).strip());
            List<Long> steps = new ArrayList<>();
            for (String line : Files.readAllLines(m.resolve("metrics.jsonl"))) {
                steps.add(JSON.readTree(line).get("step").asLong());
            }
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), steps, m + ": each step logged once");
        }
    }

    /** Waits until the run has logged {@code lines} updates (0: until it is set up and training). */
    private static void awaitLines(Process p, Path run, int lines) throws Exception {
        Path metrics = run.resolve("metrics.jsonl");
        while (p.isAlive()) {
            if (lines == 0 ? Files.exists(run.resolve("config.resolved.yaml")) : lastStep(metrics) >= lines) {
                return;
            }
            Thread.sleep(2);
        }
    }

    private static long lastStep(Path metrics) throws Exception {
        if (!Files.exists(metrics)) {
            return -1;
        }
        long step = -1;
        for (String line : Files.readAllLines(metrics)) {
            if (line.endsWith("}")) {
                step = JSON.readTree(line).get("step").asLong();
            }
        }
        return step;
    }

    private static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (java.io.IOException e) {
            return "(no " + f + ")";
        }
    }
}
