package dev.revise.experiments.cli;

import dev.revise.experiments.config.ConfigTree;
import dev.revise.experiments.eval.SelfCorrectionEval;
import dev.revise.experiments.train.Checkpoints;
import dev.revise.experiments.train.TrainingRun;
import dev.revise.rl.metrics.SelfCorrectionMetrics;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The embedded default: SCoRe Stage I ({@code experiments/configs/quickstart.yaml}) from the shipped
 * SFT base ({@code experiments/base/synthetic-sft}; {@code --from-scratch} trains it first with
 * {@code sft-synthetic.yaml}), on CPU. Base and final policies are evaluated on the same held-out
 * problems with attempts sampled at temperature 1, and greedily beside; the table goes to stdout
 * and the last stdout line is the final (sampled) eval.json path.
 */
@Command(name = "quickstart", description = "Train a small policy to self-correct on the built-in task (CPU, minutes).")
final class QuickstartCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", description = "run directory (default: runs/quickstart-<time>)")
    Path out;

    @Option(names = "--from-scratch", description = "train the SFT base first instead of using the shipped one")
    boolean fromScratch;

    @Option(
            names = "--sft-steps",
            defaultValue = "800",
            description = "with --from-scratch (default: ${DEFAULT-VALUE})")
    int sftSteps;

    @Option(
            names = "--rl-steps",
            defaultValue = "130",
            description = "SCoRe Stage I updates (default: ${DEFAULT-VALUE})")
    int rlSteps;

    @Option(
            names = "--eval-problems",
            defaultValue = "1000",
            description = "held-out problems (default: ${DEFAULT-VALUE})")
    int evalProblems;

    @Option(names = "--seed", defaultValue = "0", description = "default: ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--home", description = "the revise checkout (default: -Drevise.home, else the working directory)")
    Path home;

    @Override
    public Integer call() throws Exception {
        Path root = home != null ? home : Path.of(System.getProperty("revise.home", "."));
        Path configs = root.resolve("experiments/configs");
        if (!Files.isRegularFile(configs.resolve("quickstart.yaml"))) {
            throw new IllegalArgumentException("--home " + root.toAbsolutePath()
                    + ": no experiments/configs/quickstart.yaml (run from the revise checkout or pass --home)");
        }
        Path dir = out != null
                ? out
                : Path.of(
                        "runs",
                        "quickstart-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        if (Files.exists(dir) && Files.list(dir).findAny().isPresent()) {
            throw new IllegalArgumentException("--out " + dir + " exists and is not empty");
        }
        PrintWriter err = spec.commandLine().getErr();
        Path base = root.resolve("experiments/base/synthetic-sft");
        // 1. the base: shipped, or trained now by the project's own SFT config
        if (fromScratch) {
            Path sftRun = dir.resolve("sft");
            new TrainingRun(
                            ConfigTree.resolve(
                                    configs.resolve("sft-synthetic.yaml"),
                                    List.of("train.steps=" + sftSteps, "run.seed=" + seed, "eval.problems=16")),
                            sftRun,
                            false,
                            p -> progress(err, "sft", p))
                    .run();
            base = sftRun.resolve("checkpoints").resolve(Checkpoints.name(sftSteps));
        }
        // 2. SCoRe Stage I
        Path rl = dir.resolve("score");
        List<String> sets = new ArrayList<>(List.of(
                "policy.checkpoint=" + base.toAbsolutePath(),
                "score.stage1_steps=" + rlSteps,
                "run.seed=" + seed,
                "eval.problems=" + Math.min(evalProblems, 200),
                "eval.every=0",
                "checkpoint.every=0"));
        new TrainingRun(
                        ConfigTree.resolve(configs.resolve("quickstart.yaml"), sets),
                        rl,
                        false,
                        p -> progress(err, "score stage I", p))
                .run();
        Path last = rl.resolve("checkpoints").resolve(Checkpoints.name(rlSteps));
        // 3. base and final on the same held-out problems, sampled (T = 1) and greedy
        SelfCorrectionEval.Result[] r = new SelfCorrectionEval.Result[4];
        int i = 0;
        for (String tag : List.of("base", "final")) {
            for (double t : new double[] {1.0, 0.0}) {
                err.println("quickstart: evaluating " + tag + (t == 0 ? " (greedy)" : " (T = 1)") + " ...");
                err.flush();
                r[i++] = SelfCorrectionEval.run(
                        new SelfCorrectionEval.Request(
                                tag.equals("base") ? base : last,
                                "synthetic",
                                2,
                                "intrinsic",
                                1,
                                evalProblems,
                                t,
                                seed,
                                tag.equals("base") ? List.of("policy.chat_format=plain") : List.of(),
                                dev.revise.experiments.eval.AttemptIntervention.Mode.OWN),
                        dir.resolve("eval").resolve(tag + (t == 0 ? "-greedy" : "")));
            }
        }
        PrintWriter o = spec.commandLine().getOut();
        o.println("policy (attempts)      Acc@t1  Acc@t2   Delta (95% CI)          McNemar p   i->c    c->i");
        o.println(row("SFT base (T=1)", r[0].report()));
        o.println(row("after SCoRe (T=1)", r[2].report()));
        o.println(row("SFT base (greedy)", r[1].report()));
        o.println(row("after SCoRe (greedy)", r[3].report()));
        o.println(r[0].file());
        o.println(r[2].file());
        o.flush();
        return 0;
    }

    private static void progress(PrintWriter err, String phase, TrainingRun.Progress p) {
        if (p.step() % 10 == 0 || p.step() == p.total()) {
            err.println("quickstart " + phase + ": step " + p.step() + "/" + p.total() + " " + TrainCommand.metrics(p));
            err.flush();
        }
    }

    private static String row(String name, SelfCorrectionMetrics.Report r) {
        return String.format(
                "%-21s %7.3f %7.3f %+7.3f (%+.3f..%+.3f) %10.2g %7.3f %7.3f",
                name,
                r.accuracy()[0],
                r.accuracy()[1],
                r.delta(),
                r.deltaCi()[0],
                r.deltaCi()[1],
                r.mcnemarP(),
                r.incorrectToCorrect(),
                r.correctToIncorrect());
    }
}
