package dev.revise.experiments.sweep;

import dev.revise.experiments.preemption.Preemption;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Runs sweep members as separate {@code revise train} JVMs, at most {@code parallel} at a time,
 * with this JVM's flags (offline DJL, Ray's add-opens and run mode) and classpath.
 */
final class ChildProcesses {
    private ChildProcesses() {}

    static void runAll(List<Sweep.Child> children, int parallel, Consumer<String> log) throws IOException {
        if (children.isEmpty()) {
            return;
        }
        // a stop signal goes on to every running member (which checkpoints and exits 143 / 130);
        // members not started yet stay unstarted
        Set<Process> running = ConcurrentHashMap.newKeySet();
        Consumer<Preemption.Stop> forward = stop -> {
            log.accept("sweep: " + stop.signal() + ": stopping " + running.size()
                    + " running member(s) at their next checkpoint; no new ones start");
            running.forEach(p -> Preemption.forward(stop, p.toHandle()));
        };
        Preemption.onSignal(forward);
        ExecutorService pool = Executors.newFixedThreadPool(parallel);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (Sweep.Child c : children) {
                results.add(pool.submit(() -> runOne(c, log, running)));
            }
            List<String> failures = new ArrayList<>();
            for (Future<String> f : results) {
                try {
                    String failure = f.get();
                    if (failure != null) {
                        failures.add(failure);
                    }
                } catch (Exception e) {
                    failures.add(e.toString());
                }
            }
            Sweep.stopIfSignalled("members", failures);
            if (!failures.isEmpty()) {
                throw new IllegalStateException("sweep: " + failures.size() + " run(s) failed: "
                        + String.join("; ", failures) + " (run the sweep again to retry them)");
            }
        } finally {
            Preemption.removeSignalListener(forward);
            pool.shutdownNow();
        }
    }

    /** Null on success, else what failed. */
    private static String runOne(Sweep.Child c, Consumer<String> log, Set<Process> running)
            throws IOException, InterruptedException {
        if (Preemption.signalled() != null) {
            return null; // not started: the next sweep starts it
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("-D") || a.startsWith("--add-opens") || a.startsWith("-Xmx")) {
                cmd.add(a);
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.revise.experiments.cli.ReviseCli"));
        cmd.addAll(List.of(
                "train", "--config", c.config().toString(), "--run-dir", c.run().dir()));
        for (String s : c.run().overrides()) {
            cmd.add("--set");
            cmd.add(s);
        }
        if (c.resume()) {
            cmd.add("--resume");
        }
        Path logs = c.sweepDir().resolve("logs");
        Files.createDirectories(logs);
        Path logFile = logs.resolve(c.run().variant() + "-seed-" + c.run().seedIndex() + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile());
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.environment().put("DJL_OFFLINE", "true");
        Process child = pb.start();
        running.add(child);
        Preemption.Stop stop = Preemption.signalled();
        if (stop != null) {
            Preemption.forward(stop, child.toHandle()); // started as the signal came: stop it too
        }
        int status;
        try {
            status = child.waitFor();
        } finally {
            running.remove(child);
        }
        String what = c.run().variant() + " seed " + c.run().seedIndex();
        if (status == 143 || status == 130) {
            log.accept("sweep: " + what + ": stopped (exit " + status + "), checkpointed; the next sweep resumes it");
            return null;
        }
        log.accept("sweep: " + what + (status == 0 ? ": done" : ": failed (exit " + status + ", see " + logFile + ")"));
        return status == 0 ? null : what + " (exit " + status + ", see " + logFile + ")";
    }
}
