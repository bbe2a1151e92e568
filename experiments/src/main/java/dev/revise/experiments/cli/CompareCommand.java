package dev.revise.experiments.cli;

import dev.revise.experiments.report.ComparisonReport;
import dev.revise.experiments.report.RunData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code revise compare}: statistics, plots and report.html over runs and sweeps. */
@Command(name = "compare", description = "Compare runs or sweeps: CIs, pairwise tests, plots, report.html.")
final class CompareCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", description = "run or sweep directories")
    List<Path> dirs;

    @Option(names = "--out", description = "report directory (default: <first dir>/report)")
    Path out;

    @Option(
            names = "--baseline",
            description = "the single-turn variant of the compute-matched comparisons (default: the only variant"
                    + " trained with env.turns 1, if there is one)")
    String baseline;

    @Override
    public Integer call() throws Exception {
        List<RunData> runs = new ArrayList<>();
        for (Path d : dirs) {
            if (!Files.isDirectory(d)) {
                throw new IllegalArgumentException(d + ": not a directory");
            }
            runs.addAll(RunData.discover(d));
        }
        Path html = ComparisonReport.write(runs, out != null ? out : dirs.get(0).resolve("report"), baseline);
        String sections = ComparisonReport.sections(runs, baseline);
        if (!sections.isBlank()) {
            spec.commandLine().getOut().println(sections.strip());
        }
        spec.commandLine().getOut().println(html);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
