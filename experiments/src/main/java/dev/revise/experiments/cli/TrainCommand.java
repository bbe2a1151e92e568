package dev.revise.experiments.cli;

import dev.revise.experiments.config.ConfigTree;
import dev.revise.experiments.train.TrainingRun;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code revise train}: a training run from a YAML config (defaults, then the file, then {@code
 * --set} overrides). Progress goes to stderr ({@link ProgressDisplay}: a bar on a terminal, plain
 * periodic lines otherwise); stdout gets the run directory as its last line.
 */
@Command(
        name = "train",
        description = "Train a policy from a YAML config (SFT, GRPO, RLOO, REINFORCE, PPO, SCoRe, RISE).")
final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", description = "YAML config file (optional with --resume: the run's own config)")
    Path config;

    @Option(names = "--set", description = "override a key: --set train.lr=1e-4 (repeatable)")
    List<String> sets = new ArrayList<>();

    @Option(names = "--run-dir", description = "run directory (default: runs/<run.name or config name>)")
    Path runDir;

    @Option(names = "--resume", description = "continue the run in --run-dir from its latest checkpoint")
    boolean resume;

    @Option(
            names = "--dry-run",
            description = "resolve and validate the config (types, ranges, files, shapes); no training")
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
        if (config == null && !(resume && runDir != null)) {
            throw new IllegalArgumentException("--config is required (or --resume with --run-dir)");
        }
        ConfigTree tree;
        if (config == null) {
            Path saved = runDir.resolve("config.resolved.yaml");
            if (!Files.isRegularFile(saved)) {
                throw new IllegalArgumentException("--resume: " + saved + " not found; pass --config");
            }
            tree = ConfigTree.parseResolved(Files.readString(saved), saved.toString());
            for (String s : sets) {
                tree.set(s);
            }
        } else {
            tree = ConfigTree.resolve(config, sets);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (dryRun) {
            for (String fact : TrainingRun.validate(tree)) {
                err.println("revise train --dry-run: " + fact);
            }
            out.println("{\"config\": " + quote(config == null ? "" : config.toString()) + ", \"valid\": true}");
            out.flush();
            err.flush();
            return 0;
        }
        // SIGTERM / SIGINT from here on: checkpoint after the update in flight, exit 143 / 130
        ReviseCli.stopOnSignals();
        String cluster = tree.optionalString("rollout.ray_address");
        if (cluster != null && tree.choice("rollout.backend", "ray", "local").equals("ray")) {
            // a cluster's driver runs the cluster's own Ray: this command again, on its jar
            Integer status = dev.revise.experiments.ray.ClusterDriver.relaunchIfNeeded(
                    cluster, tree.optionalString("rollout.code_search_path"), ReviseCli.arguments());
            if (status != null) {
                return status;
            }
        }
        Path dir = runDir != null ? runDir : Path.of("runs", runName(tree));
        boolean tty = ProgressDisplay.stderrIsTerminal();
        ProgressDisplay[] display = new ProgressDisplay[1]; // opened at the first update: a resume starts later
        TrainingRun run = new TrainingRun(tree, dir, resume, p -> {
            if (display[0] == null) {
                display[0] = ProgressDisplay.open("train", p.total(), p.step() - 1, "updates", err, tty);
            }
            display[0].update(p.step(), metrics(p));
        });
        try {
            run.run();
        } finally {
            if (display[0] != null) {
                display[0].close();
            }
        }
        out.println(dir);
        out.flush();
        return 0;
    }

    private String runName(ConfigTree tree) {
        String name = tree.optionalString("run.name");
        if (name != null) {
            return name;
        }
        String file = config.getFileName().toString();
        return file.replaceFirst("\\.ya?ml$", "");
    }

    /** The key metrics of an update, as the progress display shows them after the rate. */
    static String metrics(TrainingRun.Progress p) {
        Map<String, Double> m = p.metrics();
        StringBuilder sb = new StringBuilder();
        if (m.containsKey("train/stage") && m.get("train/stage") > 1) {
            sb.append(String.format("stage %.0f", m.get("train/stage")));
        }
        append(sb, m, "reward/mean", " reward %.3f");
        append(sb, m, "policy/loss", " loss %.4f");
        append(sb, m, "batch/acc_t1", " acc@t1 %.3f");
        append(sb, m, "batch/acc_t2", " acc@t2 %.3f");
        append(sb, m, "eval/acc_t1", " | eval acc@t1 %.3f");
        append(sb, m, "eval/acc_t2", " acc@t2 %.3f");
        append(sb, m, "perf/rollout_tokens_per_s", " | %.0f tok/s");
        return sb.toString().strip();
    }

    private static void append(StringBuilder sb, Map<String, Double> m, String key, String format) {
        Double v = m.get(key);
        if (v != null && Double.isFinite(v)) {
            sb.append(String.format(format, v));
        }
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
