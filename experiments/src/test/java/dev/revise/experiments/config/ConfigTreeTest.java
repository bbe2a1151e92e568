package dev.revise.experiments.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigTreeTest {
    @TempDir
    Path dir;

    private Path file(String yaml) throws Exception {
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void fileMergesOverDefaultsAndSetMergesLast() throws Exception {
        ConfigTree c = ConfigTree.resolve(
                file("train:\n  lr: 0.01\n  steps: 7\n"), List.of("train.steps=9", "grpo.kl_coef=[0.5, 0.1]"));
        assertEquals(0.01, c.number("train.lr", 0, 1));
        assertEquals(9, c.integer("train.steps", 1, 100));
        assertEquals(32, c.integer("train.tasks_per_step", 1, 100), "untouched default");
        assertArrayEquals(new double[] {0.5, 0.1}, c.numbers("grpo.kl_coef", 0, 10));
    }

    @Test
    void unknownKeysNameTheFileAndTheDottedPath() throws Exception {
        Path f = file("train:\n  stepz: 7\n");
        assertThatThrownBy(() -> ConfigTree.resolve(f, List.of()))
                .hasMessageContaining(f.toString())
                .hasMessageContaining("train.stepz: unknown key")
                .hasMessageContaining("steps");
        assertThatThrownBy(() -> ConfigTree.resolve(null, List.of("envv.turns=3")))
                .hasMessageContaining("--set envv.turns=3")
                .hasMessageContaining("envv: unknown key");
    }

    @Test
    void wrongTypesAndRangesNameThePathAndWhatWasExpected() throws Exception {
        assertThatThrownBy(() -> ConfigTree.resolve(file("train:\n  lr: fast\n"), List.of()))
                .hasMessageContaining("train.lr: expected a number, got 'fast'");
        assertThatThrownBy(() -> ConfigTree.resolve(file("env: 3\n"), List.of()))
                .hasMessageContaining("env: expected a map");
        ConfigTree c = ConfigTree.resolve(null, List.of("train.steps=-1", "train.lr=2.5"));
        assertThatThrownBy(() -> c.integer("train.steps", 1, 100))
                .hasMessageContaining("train.steps: expected a whole number in [1, 100], got -1");
        assertThatThrownBy(() -> c.integer("train.lr", 1, 100))
                .hasMessageContaining("train.lr: expected a whole number");
        assertThatThrownBy(() -> c.choice("rollout.backend", "local"))
                .hasMessageContaining("rollout.backend: expected one of local, got 'ray'");
    }

    @Test
    void invalidYamlNamesTheLine() throws Exception {
        Path f = file("train:\n  lr: 0.1\n   steps: [\n");
        assertThatThrownBy(() -> ConfigTree.resolve(f, List.of()))
                .hasMessageContaining(f.toString() + ":")
                .hasMessageContaining("not valid YAML");
    }

    @Test
    void rewardTermsAreOpenAndAddressableBySet() throws Exception {
        ConfigTree c = ConfigTree.resolve(
                file("rewards:\n  correct: {type: correctness}\n  progress: {type: progress, alpha: 10}\n"),
                List.of("rewards.progress.alpha=0"));
        assertEquals(0, c.node("rewards.progress.alpha").asDouble());
        assertEquals("correctness", c.string("rewards.correct.type"));
    }

    @Test
    void resolvedYamlRoundTripsAndDifferencesNameTheField() throws Exception {
        ConfigTree c = ConfigTree.resolve(file("train:\n  lr: 0.01\n"), List.of("rollout.workers=3"));
        ConfigTree back = ConfigTree.parseResolved(c.toYaml(), "resolved");
        assertThat(c.differences(back, Set.of())).isEmpty();
        ConfigTree other = back.copy();
        other.set("train.lr=0.02");
        other.set("rollout.workers=5");
        assertThat(c.differences(other, Set.of("rollout"))).containsExactly("train.lr: 0.01 vs 0.02");
    }
}
