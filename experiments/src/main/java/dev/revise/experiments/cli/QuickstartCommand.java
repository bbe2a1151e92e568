package dev.revise.experiments.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The embedded default run. Not built yet: says so and fails rather than pretending. */
@Command(
        name = "quickstart",
        description = "Train a small policy to self-correct on the built-in task (not available yet).")
final class QuickstartCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine()
                .getErr()
                .println("revise quickstart: not available yet. The self-correction environments,"
                        + " learners and experiment runner it needs are still being built (see README.md, 'Status')."
                        + " What works today: init, logprobs, generate, bench.");
        return 1;
    }
}
