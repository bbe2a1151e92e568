package dev.revise.experiments.cli;

import ai.djl.ndarray.NDManager;
import dev.revise.experiments.quickstart.EvalJson;
import dev.revise.experiments.quickstart.SyntheticSelfCorrection;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The embedded default: SFT a small policy on the synthetic task, then SCoRe Stage I on CPU;
 * evaluates the base and the final policy on held-out problems and prints the table. The last
 * stdout line is the final eval.json path.
 */
@Command(name = "quickstart", description = "Train a small policy to self-correct on the built-in task (CPU, minutes).")
final class QuickstartCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", description = "run directory (default: runs/quickstart-<time>)")
    Path out;

    @Option(names = "--sft-steps", defaultValue = "800", description = "default: ${DEFAULT-VALUE}")
    int sftSteps;

    @Option(
            names = "--rl-steps",
            defaultValue = "130",
            description = "SCoRe Stage I updates (default: ${DEFAULT-VALUE})")
    int rlSteps;

    @Option(names = "--eval-problems", defaultValue = "500", description = "default: ${DEFAULT-VALUE}")
    int evalProblems;

    @Option(names = "--seed", defaultValue = "0", description = "default: ${DEFAULT-VALUE}")
    long seed;

    @Override
    public Integer call() throws Exception {
        Path dir = out != null
                ? out
                : Path.of(
                        "runs",
                        "quickstart-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        if (Files.exists(dir) && Files.list(dir).findAny().isPresent()) {
            throw new IllegalArgumentException("--out " + dir + " exists and is not empty");
        }
        PrintWriter err = spec.commandLine().getErr();
        SyntheticSelfCorrection.Config config =
                new SyntheticSelfCorrection.Config(sftSteps, 64, rlSteps, 32, 4, evalProblems, seed);
        try (NDManager root = NDManager.newBaseManager()) {
            SyntheticSelfCorrection.Result r = SyntheticSelfCorrection.run(config, root, line -> {
                err.println(line);
                err.flush();
            });
            Path base =
                    EvalJson.write(r.base(), "intrinsic", 1, dir.resolve("eval").resolve("base"));
            Path last =
                    EvalJson.write(r.last(), "intrinsic", 1, dir.resolve("eval").resolve("final"));
            r.policy().save(dir.resolve("final-policy"));
            r.policy().close();
            PrintWriter outW = spec.commandLine().getOut();
            outW.println("policy   Acc@t1  Acc@t2   Delta    i->c    c->i");
            outW.println(row("base", r.base()));
            outW.println(row("final", r.last()));
            outW.println(base);
            outW.println(last);
            outW.flush();
        }
        return 0;
    }

    private static String row(String name, dev.revise.rl.metrics.SelfCorrectionMetrics.Report r) {
        return String.format(
                "%-7s %7.3f %7.3f %+7.3f %7.3f %7.3f",
                name, r.accuracy()[0], r.accuracy()[1], r.delta(), r.incorrectToCorrect(), r.correctToIncorrect());
    }
}
