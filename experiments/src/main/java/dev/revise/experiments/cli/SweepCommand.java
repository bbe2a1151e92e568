package dev.revise.experiments.cli;

import dev.revise.experiments.sweep.Sweep;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code revise sweep}: a grid of variants x seeds into one directory; run it again to continue. */
@Command(name = "sweep", description = "Run a grid of config variants x seeds (sequentially); resumable.")
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
            description = "runs at once, each in its own driver JVM (for Ray clusters; default: ${DEFAULT-VALUE})")
    int parallel;

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
        Sweep.run(config, plan, d, parallel, line -> {
            err.println(line);
            err.flush();
        });
        spec.commandLine().getOut().println(d);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
