package dev.revise.experiments.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.revise.experiments.config.ConfigTree;
import dev.revise.experiments.train.TrainingRun;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe tells a policy that reads attempt 1 from one that does not. The shipped synthetic base
 * was trained on independent attempts: its attempt 2 is as good after a gold attempt 1 as after a
 * slipped one. The positive control is the same base fine-tuned with {@code sft.later_attempts
 * repeat} (attempt 2 = attempt 1): it copies whatever stands in place of attempt 1.
 */
class ProbeControlTest {
    @TempDir
    static Path dir;

    static final Path BASE = Path.of("base/synthetic-sft");
    static Path reader;

    @BeforeAll
    static void fineTuneAReader() throws Exception {
        Path run = dir.resolve("reader");
        new TrainingRun(
                        ConfigTree.resolve(
                                null,
                                List.of(
                                        "algorithm=sft",
                                        "policy.checkpoint=" + BASE,
                                        "sft.later_attempts=repeat",
                                        "sft.step_error=[0.1]",
                                        "sft.batch=32",
                                        "train.steps=40",
                                        "train.lr=1.0e-3",
                                        "train.warmup_steps=5",
                                        "eval.problems=4")),
                        run,
                        false,
                        p -> {})
                .run();
        reader = run.resolve("checkpoints/step-000040");
    }

    private static double attempt2(Path checkpoint, String mode, Map<String, Object> extraOut) throws Exception {
        SelfCorrectionEval.Result r = SelfCorrectionEval.run(
                new SelfCorrectionEval.Request(
                        checkpoint,
                        "synthetic",
                        2,
                        null,
                        1,
                        120,
                        1.0,
                        0,
                        List.of(),
                        AttemptIntervention.Mode.parse(mode)),
                dir.resolve("eval-" + checkpoint.getFileName() + "-" + mode));
        extraOut.putAll(r.extra());
        return r.report().accuracy()[1];
    }

    @Test
    void goldAgainstCorruptSeparatesTheReaderFromTheBase() throws Exception {
        Map<String, Object> extra = new java.util.HashMap<>();
        double baseGold = attempt2(BASE, "gold", extra);
        double baseCorrupt = attempt2(BASE, "corrupt", extra);
        int baseKept = (Integer) extra.get("intervene_n");
        double readerGold = attempt2(reader, "gold", extra);
        double readerCorrupt = attempt2(reader, "corrupt", extra);
        String all = String.format(
                "base gold %.3f corrupt %.3f (n %d); reader gold %.3f corrupt %.3f (n %s)",
                baseGold, baseCorrupt, baseKept, readerGold, readerCorrupt, extra.get("intervene_n"));
        System.out.println(all);
        // the base: attempt 2 does not depend on whether attempt 1 is right
        assertThat(Math.abs(baseGold - baseCorrupt)).as(all).isLessThan(0.2);
        // the reader copies: right after gold, wrong after a slip
        assertThat(readerGold - readerCorrupt).as(all).isGreaterThan(0.6);
        assertEquals("corrupt", extra.get("intervene"));
    }
}
