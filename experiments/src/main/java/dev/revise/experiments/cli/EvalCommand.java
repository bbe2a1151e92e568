package dev.revise.experiments.cli;

import dev.revise.experiments.eval.AttemptIntervention;
import dev.revise.experiments.eval.SelfCorrectionEval;
import dev.revise.experiments.train.Checkpoints;
import dev.revise.rl.metrics.SelfCorrectionMetrics;
import java.io.PrintWriter;
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
 * {@code revise eval}: self-correction metrics of a checkpoint. Prints a table and writes
 * eval.json; the last stdout line is that file's path. By default the file goes to
 * {@code <run>/eval/<checkpoint>-<dataset>[-t<K>][-<mode>]/} for a checkpoint inside a run directory (never inside
 * the checkpoint, which keep-last may delete), else next to the checkpoint directory.
 */
@Command(name = "eval", description = "Self-correction metrics of a checkpoint on a dataset; writes eval.json.")
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--checkpoint",
            required = true,
            description = "a checkpoint directory, or a run directory or checkpoints/latest (its latest checkpoint)")
    Path checkpoint;

    @Option(
            names = "--dataset",
            required = true,
            description = "synthetic, start_search, gsm8k, gsm8k_train_sample, math500, humaneval or a .jsonl file")
    String dataset;

    @Option(names = "--turns", defaultValue = "0", description = "attempts K (default: the run's env.turns)")
    int turns;

    @Option(
            names = "--feedback",
            description = "intrinsic, oracle, oracle-always-retry or hint (default: the run's env.feedback)")
    String feedback;

    @Option(names = "--samples", defaultValue = "1", description = "episodes per problem (default: ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--limit", defaultValue = "1000", description = "problems (default: ${DEFAULT-VALUE})")
    int limit;

    @Option(names = "--temperature", defaultValue = "1.0", description = "0 = greedy (default: ${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--seed", defaultValue = "0", description = "sampling seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--set", description = "override a run-config key, e.g. --set env.max_tokens_per_turn=64")
    List<String> sets = new ArrayList<>();

    @Option(names = "--out", description = "directory for eval.json")
    Path out;

    @Option(
            names = "--intervene",
            defaultValue = "own",
            description = "what stands in place of attempt 1 before attempt 2: own (nothing replaced), gold (the"
                    + " reference solution), corrupt (the policy's own right attempt with one step's result changed;"
                    + " only those problems are reported), other (its attempt at another problem) (default:"
                    + " ${DEFAULT-VALUE})")
    String intervene;

    @Override
    public Integer call() throws Exception {
        checkpoint = Checkpoints.resolveArgument(checkpoint, "--checkpoint");
        if (samples < 1 || limit < 1) {
            throw new IllegalArgumentException("--samples and --limit must be >= 1");
        }
        Path dir = out != null ? out : defaultOut();
        boolean tty = ProgressDisplay.stderrIsTerminal();
        ProgressDisplay[] display = new ProgressDisplay[1];
        SelfCorrectionEval.EpisodeProgress progress = (done, total) -> {
            if (display[0] == null) {
                display[0] = ProgressDisplay.open(
                        "eval", total, 0, "episodes", spec.commandLine().getErr(), tty);
            }
            display[0].update(done, "");
        };
        SelfCorrectionEval.Result r;
        try {
            r = SelfCorrectionEval.run(
                    new SelfCorrectionEval.Request(
                            checkpoint,
                            dataset,
                            turns,
                            feedback,
                            samples,
                            limit,
                            temperature,
                            seed,
                            sets,
                            AttemptIntervention.Mode.parse(intervene)),
                    dir,
                    progress);
        } finally {
            if (display[0] != null) {
                display[0].close();
            }
        }
        PrintWriter o = spec.commandLine().getOut();
        print(o, r.report(), r.extra());
        o.println(r.file());
        o.flush();
        return 0;
    }

    private Path defaultOut() {
        Path abs = checkpoint.toAbsolutePath().normalize();
        // --turns and a probe get a directory of their own, so K=2, K=4 and each mode sit side by side
        String tag = abs.getFileName() + "-"
                + Path.of(dataset).getFileName().toString().replaceAll("\\.jsonl(\\.gz)?$", "")
                + (turns > 0 ? "-t" + turns : "")
                + (AttemptIntervention.Mode.parse(intervene) == AttemptIntervention.Mode.OWN ? "" : "-" + intervene);
        Path parent = abs.getParent();
        if (parent != null && parent.getFileName().toString().equals("checkpoints") && parent.getParent() != null) {
            return parent.getParent().resolve("eval").resolve(tag);
        }
        return (parent == null ? abs : parent).resolve("eval").resolve(tag);
    }

    static void print(PrintWriter o, SelfCorrectionMetrics.Report r, Map<String, Object> extra) {
        o.printf("problems %d, episodes %d, turns %d%n", r.problems(), r.trajectories(), r.turns());
        Object mode = extra.get("intervene");
        if (mode != null && !"own".equals(mode)) {
            o.printf(
                    "attempt 1 replaced: %s (%s episodes kept, %s left out; own Acc@t1 %.3f)%n",
                    mode, extra.get("intervene_n"), extra.get("intervene_left_out"), extra.get("own_accuracy_t1"));
        }
        if (r.inference().clustered()) {
            o.printf(
                    "intervals and test over the %d problems (%s), not the episodes%n",
                    r.inference().clusters(),
                    r.inference().intervalMethod() + ", " + r.inference().deltaIntervalMethod() + ", "
                            + r.inference().pairedTest());
        }
        for (int t = 0; t < r.turns(); t++) {
            o.printf(
                    "Acc@t%d   %.3f  (95%% CI %.3f..%.3f)%n",
                    t + 1, r.accuracy()[t], r.accuracyCi()[t][0], r.accuracyCi()[t][1]);
        }
        if (r.turns() >= 2) {
            o.printf(
                    "Delta    %+.3f  (95%% CI %+.3f..%+.3f), %s p %.3g%n",
                    r.delta(), r.deltaCi()[0], r.deltaCi()[1], r.inference().pairedTestLabel(), r.mcnemarP());
            o.printf(
                    "i->c     %.3f   c->i %.3f   edit ratio %.3f%n",
                    r.incorrectToCorrect(), r.correctToIncorrect(), r.editRatio());
            o.printf("confidence P(c->c|c) %.3f   critique P(i->c|i) %.3f%n", r.confidence(), r.critique());
            o.printf(
                    "p1@t%d %.3f   m1@t%d %.3f   m%d@t1 %.3f%n",
                    r.turns(),
                    (Double) extra.get("p1_at_tK"),
                    r.turns(),
                    (Double) extra.get("m1_at_tK"),
                    r.turns(),
                    (Double) extra.getOrDefault("mK_at_t1", Double.NaN));
        }
        if (extra.containsKey("repair_locality")) {
            Object loc = extra.get("repair_locality");
            o.printf(
                    "repair locality %s over %s wrong->right corrections%n",
                    loc == null ? "n/a" : String.format(java.util.Locale.ROOT, "%.3f", (Double) loc),
                    extra.get("repair_corrections"));
        }
        o.println("pass@k " + extra.get("pass_at_k"));
    }
}
