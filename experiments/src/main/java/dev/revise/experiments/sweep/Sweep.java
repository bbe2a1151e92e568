package dev.revise.experiments.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.revise.experiments.config.ConfigTree;
import dev.revise.experiments.train.Algorithms;
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
 * {@code revise sweep}: a grid of config variants x seeds, run one after another into one sweep
 * directory ({@code <dir>/<variant>/seed-<k>/}). The plan is written to {@code sweep.json} first;
 * running the same sweep again skips finished runs, resumes interrupted ones from their latest
 * checkpoint and starts the rest, so a sweep that does not fit one session continues where it
 * stopped.
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
        return run(config, runs, dir, 1, log);
    }

    /**
     * As {@link #run(Path, List, Path, Consumer)}; with {@code parallel} > 1 the pending runs go to
     * that many separate {@code revise train} driver processes at once (one JVM holds one gradient
     * tape), each with its own Ray actors: on a Ray cluster their rollouts spread over the cluster.
     * A child's output goes to {@code <dir>/logs/}.
     */
    public static List<Path> run(Path config, List<Run> runs, Path dir, int parallel, Consumer<String> log)
            throws IOException {
        if (parallel < 1) {
            throw new IllegalArgumentException("--parallel must be >= 1, got " + parallel);
        }
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
        List<Path> dirs = new ArrayList<>();
        List<Child> pending = new ArrayList<>();
        int i = 0;
        for (Run r : runs) {
            i++;
            Path runDir = Path.of(r.dir());
            dirs.add(runDir);
            ConfigTree tree = ConfigTree.resolve(config, r.overrides());
            long total = Algorithms.totalSteps(tree);
            Checkpoints ck = new Checkpoints(runDir, 1);
            Path latest = Files.exists(runDir) ? ck.latest() : null;
            if (latest != null && Checkpoints.trainerState(latest).step() >= total) {
                log.accept(String.format("sweep: %d/%d %s seed %d: done", i, runs.size(), r.variant(), r.seedIndex()));
                continue;
            }
            boolean resume = latest != null;
            if (!resume && Files.exists(runDir)) {
                Checkpoints.deleteTree(runDir); // killed before its first checkpoint: nothing saved to keep
            }
            log.accept(String.format(
                    "sweep: %d/%d %s seed %d: %s",
                    i,
                    runs.size(),
                    r.variant(),
                    r.seedIndex(),
                    resume ? "resuming from " + latest.getFileName() : "start"));
            if (parallel > 1) {
                pending.add(new Child(r, config, resume, dir));
                continue;
            }
            new TrainingRun(tree, runDir, resume, p -> {
                        if (p.step() % 10 == 0 || p.step() == p.total()) {
                            log.accept(String.format(
                                    "sweep: %s seed %d step %d/%d", r.variant(), r.seedIndex(), p.step(), p.total()));
                        }
                    })
                    .run();
        }
        ChildProcesses.runAll(pending, parallel, log);
        return dirs;
    }

    /** A run to train in its own driver process. */
    record Child(Run run, Path config, boolean resume, Path sweepDir) {}
}
