package dev.revise.experiments.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.revise.experiments.cli.CliTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepTest {
    @TempDir
    Path dir;

    @Test
    void gridsParseWithListsAndExpandToEveryCombinationAndSeed() throws Exception {
        Sweep.Axis a = Sweep.Axis.parse("grpo.kl_coef=[0.1, 0.2],0.3");
        assertEquals(List.of("[0.1, 0.2]", "0.3"), a.values());
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, "run:\n  seed: 5\n");
        List<Sweep.Run> plan =
                Sweep.plan(f, List.of(), List.of(a, Sweep.Axis.parse("train.lr=1e-3,1e-4")), 2, dir.resolve("s"));
        assertEquals(8, plan.size());
        assertThat(plan.get(0).overrides()).contains("run.seed=5", "train.lr=1e-3");
        assertEquals(6, plan.get(1).seed());
        assertThatThrownBy(() -> Sweep.plan(f, List.of(), List.of(Sweep.Axis.parse("train.stepz=1,2")), 1, dir))
                .hasMessageContaining("train.stepz: unknown key");
    }

    @Test
    void aSweepRunsInChildProcessesAndARepeatSkipsFinishedRuns() throws Exception {
        Path f = dir.resolve("sft.yaml");
        Files.writeString(f, "algorithm: sft\ntrain:\n  steps: 2\nsft:\n  batch: 4\neval:\n  problems: 2\n");
        Path s = dir.resolve("sweep");
        String[] args = {
            "sweep",
            "--config",
            f.toString(),
            "--grid",
            "train.lr=1e-3,2e-3",
            "--seeds",
            "1",
            "--dir",
            s.toString(),
            "--parallel",
            "2"
        };
        CliTest.Result r = CliTest.run(args);
        assertEquals(0, r.status(), r.err());
        assertThat(r.err()).contains("sweep 2/2 runs (100%)"); // the progress display, plain: not a terminal
        assertThat(s.resolve("lr=1e-3/seed-0/checkpoints/step-000002")).exists();
        assertThat(s.resolve("lr=2e-3/seed-0/checkpoints/step-000002")).exists();
        CliTest.Result again = CliTest.run(args);
        assertEquals(0, again.status(), again.err());
        assertThat(again.err()).contains("lr=1e-3 seed 0: done").contains("lr=2e-3 seed 0: done");
        // a run killed before its first checkpoint starts over in a child process
        dev.revise.experiments.train.Checkpoints.deleteTree(s.resolve("lr=2e-3/seed-0/checkpoints"));
        CliTest.Result restarted = CliTest.run(args);
        assertEquals(0, restarted.status(), restarted.err());
        assertThat(restarted.err()).contains("2/2 lr=2e-3 seed 0: start").contains("lr=1e-3 seed 0: done");
        assertThat(s.resolve("lr=2e-3/seed-0/checkpoints/step-000002")).exists();
        CliTest.Result other =
                CliTest.run("sweep", "--config", f.toString(), "--grid", "train.lr=5e-3", "--dir", s.toString());
        assertEquals(2, other.status());
        assertThat(other.err()).contains("sweep.json").contains("different sweep");
        assertEquals(
                0,
                CliTest.run("compare", s.toString(), "--out", dir.resolve("rep").toString())
                        .status());
    }

    @Test
    void onRayFromTheCommandLine() throws Exception {
        Path f = dir.resolve("sft.yaml");
        Files.writeString(f, "algorithm: sft\ntrain:\n  steps: 2\nsft:\n  batch: 4\neval:\n  problems: 2\n");
        Path s = dir.resolve("sweep");
        CliTest.Result r = CliTest.run(
                "sweep", "--config", f.toString(), "--grid", "train.lr=1e-3,2e-3", "--dir", s.toString(), "--on-ray");
        assertEquals(0, r.status(), r.err());
        assertThat(r.err()).contains("lr=1e-3 seed 0: done").contains("lr=2e-3 seed 0: done");
        assertThat(s.resolve("lr=2e-3/seed-0/checkpoints/step-000002")).exists();
        CliTest.Result gpus = CliTest.run(
                "sweep", "--config", f.toString(), "--dir", dir.resolve("other").toString(), "--run-gpus", "1");
        assertEquals(2, gpus.status());
        assertThat(gpus.err()).contains("need --on-ray");
        CliTest.Result half = CliTest.run(
                "sweep",
                "--config",
                f.toString(),
                "--dir",
                dir.resolve("half").toString(),
                "--on-ray",
                "--run-gpus",
                "1.5");
        assertEquals(2, half.status());
        assertThat(half.err()).contains("--run-gpus must be").contains("1.5");
        CliTest.Result none = CliTest.run(
                "sweep", "--config", f.toString(), "--dir", dir.resolve("none").toString(), "--parallel", "0");
        assertEquals(2, none.status());
        assertThat(none.err()).contains("--parallel must be >= 1");
    }

    @Test
    void rayTasksGetPathOverridesAbsoluteAgainstTheDriversDirectory() {
        Path here = Path.of("").toAbsolutePath();
        assertEquals(
                List.of(
                        "task.dataset=\"" + here.resolve("data/a.jsonl") + "\"",
                        "task.dataset=\"" + here.resolve("data/q.jsonl") + "\"",
                        "task.dataset=/abs/b.jsonl",
                        "policy.checkpoint=null",
                        "task.dataset=gsm8k",
                        "train.lr=1e-3",
                        "run.name=data/x"),
                RaySweep.absolutePaths(List.of(
                        "task.dataset=data/a.jsonl",
                        "task.dataset='data/q.jsonl'",
                        "task.dataset=/abs/b.jsonl",
                        "policy.checkpoint=null",
                        "task.dataset=gsm8k",
                        "train.lr=1e-3",
                        "run.name=data/x")));
    }

    @Test
    void theDriverReadsHowFarARayRunHasGotFromItsMetrics() throws Exception {
        Path f = dir.resolve("sft.yaml");
        Files.writeString(f, "algorithm: sft\ntrain:\n  steps: 40\n");
        Sweep.Run run = Sweep.plan(f, List.of(), List.of(), 1, dir.resolve("s")).get(0);
        Sweep.Child child = new Sweep.Child(run, f, false, dir.resolve("s"));
        assertEquals("sweep: sft seed 0: starting", RaySweep.progress(child, 40));
        Path metrics = Path.of(run.dir()).resolve("metrics.jsonl");
        Files.createDirectories(metrics.getParent());
        Files.writeString(metrics, "{\"step\":1,\"loss\":2.0}\n{\"step\":2,\"loss\":1.5}\n{\"step\":3,\"lo");
        assertEquals("sweep: sft seed 0 step 2/40", RaySweep.progress(child, 40), "a cut last line is not read");
        Files.writeString(metrics, "x".repeat(70_000) + "\n{\"step\":39}\n", java.nio.file.StandardOpenOption.APPEND);
        assertEquals(39, RaySweep.lastStep(metrics));
        Files.writeString(metrics, "{\"step\":40,\"note\":\"" + "y".repeat(70_000) + "\"}\n");
        assertEquals(-1, RaySweep.lastStep(metrics), "a line longer than the tail is unknown, not misread");
    }
}
