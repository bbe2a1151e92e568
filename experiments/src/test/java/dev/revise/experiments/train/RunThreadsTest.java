package dev.revise.experiments.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import dev.revise.experiments.config.ConfigTree;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run.threads} sets libtorch's intra-op threads for the run and puts them back after it, and
 * a resume must keep it (the thread count changes the last bits).
 */
class RunThreadsTest {
    @TempDir
    Path dir;

    @Test
    void theRunTrainsWithItsThreadCountAndRestoresTheProcesses() throws Exception {
        Engine.getEngine("PyTorch");
        int before = JniUtils.getNumThreads();
        int wanted = before == 1 ? 2 : 1;
        Set<Integer> seen = new HashSet<>();
        new TrainingRun(
                        ConfigTree.resolve(
                                null,
                                List.of(
                                        "algorithm=sft",
                                        "run.threads=" + wanted,
                                        "train.steps=2",
                                        "sft.batch=4",
                                        "eval.problems=2")),
                        dir.resolve("run"),
                        false,
                        p -> seen.add(JniUtils.getNumThreads()))
                .run();
        assertThat(seen).containsExactly(wanted);
        assertEquals(before, JniUtils.getNumThreads());
    }

    @Test
    void aResumeMustKeepTheThreadCountAndTheDeviceKindButNotTheGpuOrdinal() {
        ConfigTree saved = ConfigTree.resolve(null, List.of("run.device=cuda:0", "run.threads=2"));
        assertThat(TrainingRun.resumeDifferences(
                        saved, ConfigTree.resolve(null, List.of("run.device=cuda:1", "run.threads=2"))))
                .isEmpty();
        assertThat(TrainingRun.resumeDifferences(
                        saved, ConfigTree.resolve(null, List.of("run.device=cpu", "run.threads=2"))))
                .containsExactly("run.device: \"cuda:0\" vs \"cpu\"");
        assertThat(TrainingRun.resumeDifferences(
                        saved, ConfigTree.resolve(null, List.of("run.device=cuda:0", "run.threads=1"))))
                .containsExactly("run.threads: 2 vs 1");
        assertThat(TrainingRun.resumeDifferences(
                        saved,
                        ConfigTree.resolve(null, List.of("run.device=cuda:0", "run.threads=2", "rollout.workers=7"))))
                .isEmpty();
    }
}
