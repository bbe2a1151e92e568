package dev.revise.experiments.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.experiments.ray.RayOptions;
import dev.revise.experiments.ray.RayRuntime;
import dev.revise.experiments.ray.WorkerResources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sweeps as Ray tasks (LOCAL mode): the runs, whose rollouts go to Ray actors created inside the
 * task, give the same metrics as the same sweep trained inline (the same rollouts; learner values
 * agree to float32 rounding, 1e-6 relative: libtorch rounds the last bits differently on the first
 * thread of a process that computes than on later ones); a failing run is named while the others
 * finish; a repeat skips finished runs and retries the failed one.
 */
class RaySweepTest {
    @TempDir
    Path dir;

    @Test
    void runsAsRayTasksMatchInlineRunsAndFailuresAreNamed() throws Exception {
        Path config = dir.resolve("grpo.yaml");
        Files.writeString(
                config,
                """
                algorithm: grpo
                train:
                  steps: 2
                  tasks_per_step: 2
                  group_size: 2
                env:
                  max_tokens_per_turn: 12
                rollout:
                  backend: ray
                  workers: 1
                eval:
                  problems: 2
                """);
        List<Sweep.Axis> grid = List.of(Sweep.Axis.parse("train.lr=1e-3,2e-3"));
        List<Sweep.Run> inlinePlan = Sweep.plan(config, List.of(), grid, 1, dir.resolve("inline"));
        List<Sweep.Run> rayPlan = Sweep.plan(config, List.of(), grid, 1, dir.resolve("ray"));
        List<String> log = new ArrayList<>();
        try (RayRuntime ray = RayRuntime.start(RayOptions.local(dir.resolve("ray-session")))) {
            Sweep.run(config, rayPlan, dir.resolve("ray"), Sweep.Executor.ray(2, WorkerResources.NONE), log::add);
            Sweep.run(config, inlinePlan, dir.resolve("inline"), Sweep.Executor.inline(), log::add);
            for (String variant : List.of("lr=1e-3", "lr=2e-3")) {
                List<Map<String, Double>> inline =
                        metricsWithoutPerf(dir.resolve("inline").resolve(variant));
                List<Map<String, Double>> onRay =
                        metricsWithoutPerf(dir.resolve("ray").resolve(variant));
                assertEquals(2, onRay.size(), variant);
                for (int step = 0; step < inline.size(); step++) {
                    assertEquals(inline.get(step).keySet(), onRay.get(step).keySet(), variant);
                    for (String k : inline.get(step).keySet()) {
                        double expected = inline.get(step).get(k);
                        assertEquals(
                                expected,
                                onRay.get(step).get(k),
                                1e-6 * Math.max(1, Math.abs(expected)),
                                variant + " " + k);
                    }
                }
            }
            assertThat(log).contains("sweep: lr=1e-3 seed 0: done", "sweep: lr=2e-3 seed 0: done");

            // a run that fails inside its worker: named, and the other run still trains
            Path missing = dir.resolve("no-such-dataset.jsonl");
            List<Sweep.Run> mixed = Sweep.plan(
                    config,
                    List.of(),
                    List.of(Sweep.Axis.parse("task.dataset=synthetic," + missing)),
                    1,
                    dir.resolve("mixed"));
            log.clear();
            assertThatThrownBy(() -> Sweep.run(
                            config, mixed, dir.resolve("mixed"), Sweep.Executor.ray(2, WorkerResources.NONE), log::add))
                    .hasMessageContaining("1 run(s) failed on Ray")
                    .hasMessageContaining("no-such-dataset.jsonl");
            assertThat(dir.resolve("mixed/dataset=synthetic/seed-0/checkpoints/step-000002"))
                    .exists();
            log.clear();
            assertThatThrownBy(() -> Sweep.run(
                            config, mixed, dir.resolve("mixed"), Sweep.Executor.ray(2, WorkerResources.NONE), log::add))
                    .hasMessageContaining("1 run(s) failed on Ray");
            assertThat(log).anyMatch(l -> l.endsWith("dataset=synthetic seed 0: done"));

            assertThatThrownBy(() -> Sweep.run(
                            config,
                            rayPlan,
                            dir.resolve("gpu"),
                            Sweep.Executor.ray(1, new WorkerResources(1, 0)),
                            log::add))
                    .hasMessageContaining("LOCAL mode");
        }
    }

    private static List<Map<String, Double>> metricsWithoutPerf(Path variant) throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<Map<String, Double>> out = new ArrayList<>();
        for (String line : Files.readAllLines(variant.resolve("seed-0/metrics.jsonl"))) {
            Map<String, Double> m = new TreeMap<>();
            json.readTree(line).fields().forEachRemaining(e -> {
                if (!e.getKey().startsWith("perf/")) {
                    m.put(e.getKey(), e.getValue().asDouble());
                }
            });
            out.add(m);
        }
        return out;
    }
}
