package dev.revise.experiments.cli;

import dev.revise.experiments.ray.RayOptions;
import dev.revise.experiments.ray.RayRuntime;
import dev.revise.experiments.ray.WorkerResources;
import dev.revise.experiments.sweep.Sweep;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code revise sweep}: a grid of variants x seeds into one directory; run it again to continue. */
@Command(
        name = "sweep",
        description = "Run a grid of config variants x seeds (sequentially, in parallel driver JVMs, or as Ray"
                + " tasks); resumable: run it again to continue.")
final class SweepCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, description = "the base YAML config")
    Path config;

    @Option(names = "--grid", description = "key=v1,v2,... (repeatable; every combination runs)")
    List<String> grids = new ArrayList<>();

    @Option(names = "--set", description = "an override for every run (repeatable)")
    List<String> sets = new ArrayList<>();

    @Option(names = "--seeds", defaultValue = "1", description = "seeds per variant (default: ${DEFAULT-VALUE})")
    int seeds;

    @Option(names = "--dir", description = "sweep directory (default: runs/sweep-<config name>)")
    Path dir;

    @Option(
            names = "--parallel",
            defaultValue = "1",
            description = "runs at once: each in its own driver JVM, or with --on-ray as that many Ray tasks"
                    + " (default: ${DEFAULT-VALUE})")
    int parallel;

    @Option(
            names = "--on-ray",
            description = "train every run as a Ray task on the cluster's workers (config and --dir on a shared"
                    + " filesystem); LOCAL mode runs them one at a time in this JVM")
    boolean onRay;

    @Option(names = "--ray-address", description = "with --on-ray: the Ray head (host:6379 or auto); default: LOCAL")
    String rayAddress;

    @Option(
            names = "--run-gpus",
            defaultValue = "0",
            description = "with --on-ray: GPUs each run reserves (default: ${DEFAULT-VALUE})")
    double runGpus;

    @Option(
            names = "--run-cpus",
            defaultValue = "0",
            description = "with --on-ray: CPUs each run reserves (0: Ray's default; default: ${DEFAULT-VALUE})")
    double runCpus;

    /** The per-run reservation, checked under the flags' own names. */
    private WorkerResources resources() {
        check("--run-gpus", runGpus);
        check("--run-cpus", runCpus);
        return new WorkerResources(runGpus, runCpus);
    }

    private static void check(String flag, double v) {
        if (!(v >= 0) || Double.isInfinite(v) || (v > 1 && v != Math.floor(v))) {
            throw new IllegalArgumentException(
                    flag + " must be >= 0, and a whole number when above 1 (Ray's rule)," + " got " + v);
        }
    }

    @Override
    public Integer call() throws Exception {
        List<Sweep.Axis> axes = new ArrayList<>();
        for (String g : grids) {
            axes.add(Sweep.Axis.parse(g));
        }
        Path d = dir != null
                ? dir
                : Path.of("runs", "sweep-" + config.getFileName().toString().replaceFirst("\\.ya?ml$", ""));
        List<Sweep.Run> plan = Sweep.plan(config, sets, axes, seeds, d);
        PrintWriter err = spec.commandLine().getErr();
        boolean tty = ProgressDisplay.stderrIsTerminal();
        ProgressDisplay display = ProgressDisplay.open("sweep", plan.size(), 0, "runs", err, tty);
        long[] ended = {0};
        Consumer<String> log = line -> {
            if (tty) {
                err.print("\r\033[K"); // the line goes above the bar, which redraws under it
            }
            err.println(line);
            err.flush();
            // each member's last line says how it ended: done (also when it was already), stopped, failed
            if (MEMBER_ENDED.matcher(line).matches()) {
                display.update(++ended[0], "");
            }
        };
        try {
            return sweep(axes, d, plan, err, log);
        } finally {
            display.close();
        }
    }

    private static final java.util.regex.Pattern MEMBER_ENDED =
            java.util.regex.Pattern.compile("sweep: .*: (done|stopped.*|failed.*)");

    private Integer sweep(List<Sweep.Axis> axes, Path d, List<Sweep.Run> plan, PrintWriter err, Consumer<String> log)
            throws Exception {
        if (parallel < 1) {
            throw new IllegalArgumentException("--parallel must be >= 1, got " + parallel);
        }
        // SIGTERM / SIGINT: every running member checkpoints and the sweep exits 143 / 130
        ReviseCli.stopOnSignals();
        if (!onRay) {
            if (rayAddress != null || runGpus != 0 || runCpus != 0) {
                throw new IllegalArgumentException("--ray-address, --run-gpus and --run-cpus need --on-ray");
            }
            Sweep.run(
                    config, plan, d, parallel > 1 ? Sweep.Executor.processes(parallel) : Sweep.Executor.inline(), log);
        } else {
            if (rayAddress != null) {
                Integer status = dev.revise.experiments.ray.ClusterDriver.relaunchIfNeeded(
                        rayAddress, null, ReviseCli.arguments());
                if (status != null) {
                    return status;
                }
            }
            Sweep.Executor ray = Sweep.Executor.ray(parallel, resources());
            RayOptions launcher = RayOptions.fromSystemProperties(); // code search path, connect timeout
            RayOptions options = rayAddress == null
                    ? launcher
                    : RayOptions.cluster(rayAddress, launcher.codeSearchPath(), launcher.connectTimeout());
            try (RayRuntime runtime = RayRuntime.start(options)) {
                Sweep.run(config, plan, d, ray, log);
            }
        }
        spec.commandLine().getOut().println(d);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
