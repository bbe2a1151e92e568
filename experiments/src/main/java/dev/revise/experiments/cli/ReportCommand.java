package dev.revise.experiments.cli;

import dev.revise.experiments.report.ComparisonReport;
import dev.revise.experiments.report.RunData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code revise report}: one run's curves, final evaluation and plots in {@code <run>/report/}. */
@Command(name = "report", description = "Plots and report.html for one run.")
final class ReportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", description = "run directory")
    Path dir;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": not a directory");
        }
        Path html = ComparisonReport.write(RunData.discover(dir), dir.resolve("report"));
        spec.commandLine().getOut().println(html);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
