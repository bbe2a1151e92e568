package dev.revise.experiments.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.revise.experiments.config.ConfigTree;
import dev.revise.experiments.train.AlgorithmSpec;
import dev.revise.experiments.train.Checkpoints;
import dev.revise.experiments.train.TrainingRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code revise sweep}: a grid of config variants x seeds into one sweep directory ({@code
 * <dir>/<variant>/seed-<k>/}), trained one after another in this JVM, in parallel driver
 * processes, or as Ray tasks on a cluster ({@link Executor}). The plan is written to {@code
 * sweep.json} first; running the same sweep again skips finished runs, resumes interrupted ones
 * from their latest checkpoint and starts the rest, so a sweep that does not fit one session
 * continues where it stopped.
 */
public final class Sweep {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One planned run. */
    public record Run(String variant, int seedIndex, long seed, List<String> overrides, String dir) {}

    /** One grid axis: a key and its values (YAML text each). */
    public record Axis(String key, List<String> values) {
        /** Parses {@code key=v1,v2,...}; commas inside brackets or braces belong to the value. */
        public static Axis parse(String grid) {
            int eq = grid.indexOf('=');
            if (eq <= 0 || eq == grid.length() - 1) {
                throw new IllegalArgumentException("--grid " + grid + ": expected key.path=v1,v2,...");
            }
            List<String> values = new ArrayList<>();
            int depth = 0;
            StringBuilder cur = new StringBuilder();
            for (char ch : grid.substring(eq + 1).toCharArray()) {
                if (ch == '[' || ch == '{') {
                    depth++;
                } else if (ch == ']' || ch == '}') {
                    depth--;
                }
                if (ch == ',' && depth == 0) {
                    values.add(cur.toString().strip());
                    cur.setLength(0);
                } else {
                    cur.append(ch);
                }
            }
            values.add(cur.toString().strip());
            if (values.stream().anyMatch(String::isEmpty)) {
                throw new IllegalArgumentException("--grid " + grid + ": an empty value");
            }
            return new Axis(grid.substring(0, eq).strip(), values);
        }
    }

    private Sweep() {}

    /** The runs of a grid: every combination of axis values, for seeds 0..seeds-1 (added to run.seed). */
    public static List<Run> plan(Path config, List<String> sets, List<Axis> axes, int seeds, Path dir) {
        if (seeds < 1) {
            throw new IllegalArgumentException("--seeds must be >= 1, got " + seeds);
        }
        List<List<String>> combos = new ArrayList<>();
        combos.add(List.of());
        for (Axis a : axes) {
            List<List<String>> next = new ArrayList<>();
            for (List<String> c : combos) {
                for (String v : a.values()) {
                    List<String> n = new ArrayList<>(c);
                    n.add(a.key() + "=" + v);
                    next.add(n);
                }
            }
            combos = next;
        }
        ConfigTree resolved = ConfigTree.resolve(config, sets);
        long baseSeed = resolved.longValue("run.seed");
        String name = resolved.optionalString("run.name");
        if (name == null) {
            name = config.getFileName().toString().replaceFirst("\\.ya?ml$", "");
        }
        List<Run> runs = new ArrayList<>();
        for (List<String> combo : combos) {
            String variant = combo.isEmpty() ? name : variantName(combo);
            for (int s = 0; s < seeds; s++) {
                List<String> overrides = new ArrayList<>(sets);
                overrides.addAll(combo);
                overrides.add("run.seed=" + (baseSeed + s));
                overrides.add("run.name=" + variant);
                ConfigTree.resolve(config, overrides); // every variant must resolve before anything runs
                runs.add(new Run(
                        variant,
                        s,
                        baseSeed + s,
                        overrides,
                        dir.resolve(variant).resolve("seed-" + s).toString()));
            }
        }
        return runs;
    }

    static String variantName(List<String> combo) {
        List<String> parts = new ArrayList<>();
        for (String c : combo) {
            String key = c.substring(0, c.indexOf('='));
            String shortKey = key.substring(key.lastIndexOf('.') + 1);
            parts.add(shortKey + "=" + c.substring(c.indexOf('=') + 1));
        }
        return String.join("_", parts).replaceAll("[^A-Za-z0-9=._+-]", "-");
    }

    /** Writes or checks sweep.json, then runs what is not finished. Returns the run directories. */
    public static List<Path> run(Path config, List<Run> runs, Path dir, Consumer<String> log) throws IOException {
        return run(config, runs, dir, Executor.inline(), log);
    }

    /** Where the runs of a sweep train. */
    public sealed interface Executor {
        /** One after another in this JVM. */
        static Executor inline() {
            return new Inline();
        }

        /**
         * {@code parallel} separate {@code revise train} driver processes at once (one JVM holds
         * one gradient tape), each with its own Ray actors: on a Ray cluster their rollouts spread
         * over the cluster. A child's output goes to {@code <dir>/logs/}.
         */
        static Executor processes(int parallel) {
            if (parallel < 1) {
                throw new IllegalArgumentException("--parallel must be >= 1, got " + parallel);
            }
            return new Processes(parallel);
        }

        /** As Ray tasks, at most {@code parallel} at once, each reserving {@code resources}: see {@link RaySweep}. */
        static Executor ray(int parallel, dev.revise.experiments.ray.WorkerResources resources) {
            if (parallel < 1) {
                throw new IllegalArgumentException("--parallel must be >= 1, got " + parallel);
            }
            return new OnRay(parallel, resources);
        }
    }

    record Inline() implements Executor {}

    record Processes(int parallel) implements Executor {}

    record OnRay(int parallel, dev.revise.experiments.ray.WorkerResources resources) implements Executor {}

    /**
     * Writes or checks sweep.json, then trains what is not finished where {@code executor} says.
     * Returns the run directories.
     */
    public static List<Path> run(Path config, List<Run> runs, Path dir, Executor executor, Consumer<String> log)
            throws IOException {
        Path manifest = dir.resolve("sweep.json");
        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("config", config.toAbsolutePath().toString());
        plan.put("runs", runs);
        if (Files.exists(manifest)) {
            JsonNode saved = JSON.readTree(manifest.toFile());
            if (!saved.equals(JSON.readTree(JSON.writeValueAsString(plan)))) { // same number node types
                throw new IllegalArgumentException(manifest + ": this directory holds a different sweep (config, grid"
                        + " or seeds differ); choose another --dir");
            }
        } else {
            Files.createDirectories(dir);
            Files.writeString(manifest, JSON.writeValueAsString(plan));
        }
        // the last stop's request to the Ray tasks: this is the run that continues
        Files.deleteIfExists(stopFile(dir));
        List<Path> dirs = new ArrayList<>();
        List<Child> pending = new ArrayList<>();
        int i = 0;
        for (Run r : runs) {
            i++;
            Path runDir = Path.of(r.dir());
            dirs.add(runDir);
            String progress = String.format("sweep: %d/%d %s seed %d: ", i, runs.size(), r.variant(), r.seedIndex());
            if (isFinished(config, r)) {
                log.accept(progress + "done");
                continue;
            }
            Path latest = latest(r); // not finished: a checkpoint here is one to resume from
            if (latest == null && Files.exists(runDir)) {
                // killed before its first checkpoint: nothing saved to keep, and `train` without
                // --resume (a child process) refuses an existing directory
                Checkpoints.deleteTree(runDir);
            }
            log.accept(progress + (latest != null ? "resuming from " + latest.getFileName() : "start"));
            if (executor instanceof Inline) {
                trainOne(
                        config,
                        r,
                        p -> {
                            if (p.step() % 10 == 0 || p.step() == p.total()) {
                                log.accept(String.format(
                                        "sweep: %s seed %d step %d/%d",
                                        r.variant(), r.seedIndex(), p.step(), p.total()));
                            }
                        },
                        null); // a signal reaches this JVM itself
                log.accept(String.format("sweep: %s seed %d: done", r.variant(), r.seedIndex()));
            } else {
                pending.add(new Child(r, config, latest != null, dir));
            }
        }
        if (executor instanceof Processes p) {
            ChildProcesses.runAll(pending, p.parallel(), log);
        } else if (executor instanceof OnRay ray) {
            RaySweep.runAll(pending, ray.parallel(), ray.resources(), log);
        }
        return dirs;
    }

    /**
     * The file the sweep's driver writes on a stop signal, for members that train where the signal
     * does not reach (Ray tasks): they checkpoint and stop as on the signal itself.
     */
    static Path stopFile(Path sweepDir) {
        return sweepDir.resolve("stop");
    }

    /**
     * After a stop signal, once the running {@code members} checkpointed and ended: the sweep's
     * {@link dev.revise.experiments.preemption.Preempted} (exit 143 / 130), naming what failed meanwhile.
     */
    static void stopIfSignalled(String members, List<String> failures) {
        dev.revise.experiments.preemption.Preemption.Stop stop =
                dev.revise.experiments.preemption.Preemption.signalled();
        if (stop != null) {
            throw new dev.revise.experiments.preemption.Preempted(
                    stop,
                    "sweep stopped by " + stop.signal() + ": its running " + members + " checkpointed"
                            + (failures.isEmpty() ? "" : " (" + String.join("; ", failures) + ")")
                            + "; run the same sweep command again to continue");
        }
    }

    /** Whether the run's latest complete checkpoint is at its last step. */
    static boolean isFinished(Path config, Run r) throws IOException {
        Path latest = latest(r);
        return latest != null
                && Checkpoints.trainerState(latest).step()
                        >= AlgorithmSpec.read(ConfigTree.resolve(config, r.overrides()))
                                .updates();
    }

    /** The run's latest complete checkpoint, or null when there is none. */
    static Path latest(Run r) {
        Path runDir = Path.of(r.dir());
        return Files.exists(runDir) ? new Checkpoints(runDir, 1).latest() : null;
    }

    /**
     * Trains one run to its end wherever this is called (the sweep's JVM, a Ray worker): a finished
     * run is left alone, an interrupted one resumes from its latest checkpoint, and a directory
     * killed before its first checkpoint is cleared first (nothing saved to keep). Deciding here
     * rather than in the planner makes a Ray task that runs again resume what a failed attempt saved.
     */
    static void trainOne(Path config, Run r, Consumer<TrainingRun.Progress> progress, Path stopFile)
            throws IOException {
        if (isFinished(config, r)) {
            return;
        }
        Path runDir = Path.of(r.dir());
        boolean resume = latest(r) != null;
        if (!resume && Files.exists(runDir)) {
            Checkpoints.deleteTree(runDir);
        }
        new TrainingRun(ConfigTree.resolve(config, r.overrides()), runDir, resume, progress, stopFile).run();
    }

    /** A run to train in its own driver process. */
    record Child(Run run, Path config, boolean resume, Path sweepDir) {}
}
