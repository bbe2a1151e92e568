package dev.revise.experiments.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.revise.experiments.cli.CliTest;
import dev.revise.experiments.config.ConfigTree;
import dev.revise.rl.learn.GrpoConfig;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The one typed reading of the algorithm config: ranges, cross-key refusals, schedules. */
class AlgorithmSpecTest {

    /** A config of {@code algorithm} that is valid with the defaults (RISE needs oracle feedback). */
    static ConfigTree config(AlgorithmSpec.Name name, String... overrides) {
        List<String> all = new ArrayList<>(List.of("algorithm=" + name.configName));
        if (name == AlgorithmSpec.Name.RISE) {
            all.add("env.feedback=oracle");
        }
        all.addAll(List.of(overrides));
        return ConfigTree.resolve(null, all);
    }

    static IllegalArgumentException refused(ConfigTree c) {
        return assertThrows(IllegalArgumentException.class, () -> TrainingRun.validate(c));
    }

    /** Every leaf key of the defaults under {@code section} with its default value. */
    static Map<String, JsonNode> leaves(String section) throws IOException {
        try (InputStream in = ConfigTree.class.getResourceAsStream("/revise/defaults.yaml")) {
            JsonNode root = new YAMLMapper().readTree(in);
            Map<String, JsonNode> out = new java.util.LinkedHashMap<>();
            collect(section, root.get(section), out);
            return out;
        }
    }

    private static void collect(String prefix, JsonNode n, Map<String, JsonNode> out) {
        if (n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                collect(prefix + "." + e.getKey(), e.getValue(), out);
            }
        } else {
            out.put(prefix, n);
        }
    }

    /** (algorithm, key) for every key of train, sampling and the algorithm's own section that it reads. */
    static Stream<Arguments> keysOfEveryAlgorithm() throws IOException {
        List<Arguments> out = new ArrayList<>();
        for (AlgorithmSpec.Name name : AlgorithmSpec.Name.values()) {
            for (String section : List.of("train", "sampling", name.section())) {
                for (Map.Entry<String, JsonNode> e : leaves(section).entrySet()) {
                    if (!name.unreadTrainKeys().contains(e.getKey())
                            && !e.getValue().isBoolean()) {
                        out.add(Arguments.of(name, e.getKey(), e.getValue()));
                    }
                }
            }
        }
        return out.stream();
    }

    /**
     * A value of the default's own kind that no range admits must fail the dry run naming the key.
     * Before, {@code --set grpo.clip_low=5} dry-ran as valid: some keys were read only when training.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("keysOfEveryAlgorithm")
    void dryRunRejectsAnOutOfRangeValueOfEveryKey(AlgorithmSpec.Name name, String key, JsonNode defaultValue) {
        List<String> candidates = defaultValue.isArray()
                ? List.of("[-1.0e12]", "[1.0e12]")
                : defaultValue.isIntegralNumber()
                        ? List.of("-1", "1000000000000")
                        : defaultValue.isNumber() ? List.of("-1", "1.0e12") : List.of("no_such_value");
        List<String> accepted = new ArrayList<>();
        for (String bad : candidates) {
            ConfigTree c = config(name, key + "=" + bad);
            try {
                TrainingRun.validate(c);
                accepted.add(bad);
            } catch (IllegalArgumentException e) {
                assertThat(e.getMessage()).as("the error names the key").contains(key);
            }
        }
        assertThat(accepted).as(key + " accepted every out-of-range value").hasSizeLessThan(candidates.size());
    }

    @Test
    void clippingThatCannotActIsRefusedNamingTheKeys() {
        IllegalArgumentException e = refused(config(AlgorithmSpec.Name.GRPO, "grpo.clip_high=0.28"));
        assertThat(e.getMessage()).contains("grpo.clip_high", "cannot act", "grpo.epochs");
        TrainingRun.validate(config(AlgorithmSpec.Name.GRPO, "grpo.clip_high=0.28", "grpo.mini_batches=2"));
        // the defaults' own values are not "set"
        TrainingRun.validate(config(AlgorithmSpec.Name.RLOO, "grpo.clip_low=0.2"));
        // PPO reads its own clip keys and no grpo key
        TrainingRun.validate(config(AlgorithmSpec.Name.PPO, "grpo.clip_high=0.28", "ppo.clip_high=0.28"));
        assertThat(refused(config(AlgorithmSpec.Name.PPO, "ppo.clip_low=2")).getMessage())
                .contains("ppo.clip_low");
    }

    @Test
    void crossKeyRefusals() {
        assertThat(refused(config(AlgorithmSpec.Name.GRPO, "grpo.kl_estimator=k1", "grpo.kl_coef=[0.1]"))
                        .getMessage())
                .contains("grpo.kl_estimator", "zero expected gradient");
        TrainingRun.validate(config(
                AlgorithmSpec.Name.GRPO, "grpo.kl_estimator=k1", "grpo.kl_coef=[0.1]", "grpo.kl_placement=reward"));
        assertThat(refused(config(AlgorithmSpec.Name.SCORE, "score.kl_estimator=k1"))
                        .getMessage())
                .contains("score.kl_estimator");
        assertThat(refused(config(AlgorithmSpec.Name.SCORE, "env.turns=3")).getMessage())
                .contains("env.turns");
        assertThat(refused(config(AlgorithmSpec.Name.SCORE, "env.feedback=oracle"))
                        .getMessage())
                .contains("env.feedback");
        assertThat(refused(config(AlgorithmSpec.Name.RISE, "env.feedback=hint")).getMessage())
                .contains("env.feedback", "oracle");
        assertThat(refused(config(AlgorithmSpec.Name.SCORE, "train.steps=7")).getMessage())
                .contains("train.steps", "score.stage1_steps");
        assertThat(refused(config(AlgorithmSpec.Name.SCORE, "rewards={correct: {type: correctness}}", "score.alpha=3"))
                        .getMessage())
                .contains("score.alpha");
        assertThat(refused(config(AlgorithmSpec.Name.PPO, "env.turns=3", "env.window=1"))
                        .getMessage())
                .contains("env.window", "ppo");
        TrainingRun.validate(config(AlgorithmSpec.Name.RLOO, "env.turns=3", "env.window=1"));
        assertThat(refused(config(AlgorithmSpec.Name.SFT, "rewards={correct: {type: correctness}}"))
                        .getMessage())
                .contains("rewards");
        // start_search's noisy attempts need their start error, and only they read it
        assertThat(refused(config(AlgorithmSpec.Name.SFT, "task.dataset=start_search"))
                        .getMessage())
                .contains("sft.start_error");
        TrainingRun.validate(config(AlgorithmSpec.Name.SFT, "task.dataset=start_search", "sft.start_error=[0.3]"));
        assertThat(refused(config(AlgorithmSpec.Name.SFT, "sft.start_error=[0.3]"))
                        .getMessage())
                .contains("sft.start_error", "start_search");
        assertThat(refused(config(
                                AlgorithmSpec.Name.SFT,
                                "task.dataset=start_search",
                                "sft.start_error=[0.3]",
                                "task.start_search.steps=0"))
                        .getMessage())
                .contains("task.start_search.steps");
    }

    @Test
    void theCliDryRunExitsTwoNamingTheKey() {
        CliTest.Result r = CliTest.run(
                "train", "--dry-run", "--config", "configs/grpo-synthetic.yaml", "--set", "grpo.clip_low=0.1");
        assertEquals(2, r.status(), r.err());
        assertThat(r.err()).contains("grpo.clip_low");
    }

    /**
     * The learning-rate schedule counts optimizer steps of the whole run. Before, it was sized in
     * updates, so PPO's 2 epochs x 2 mini-batches ended the decay at a quarter of the run, and
     * SCoRe's Stage II restarted it.
     */
    @Test
    void theScheduleCountsTheRunsOptimizerSteps() {
        PpoSpec ppo = (PpoSpec) AlgorithmSpec.read(config(
                AlgorithmSpec.Name.PPO,
                "train.steps=60",
                "train.tasks_per_step=32",
                "train.group_size=4",
                "ppo.epochs=2",
                "ppo.mini_batch_rows=64",
                "train.warmup_steps=10",
                "train.min_lr_ratio=0.1"));
        assertEquals(60 * 2 * 2, ppo.learner().optimizer().schedule().totalSteps());
        PolicyGradientSpec grpo = (PolicyGradientSpec) AlgorithmSpec.read(config(
                AlgorithmSpec.Name.GRPO,
                "train.steps=10",
                "grpo.epochs=3",
                "grpo.mini_batches=2",
                "train.min_lr_ratio=0.1"));
        assertEquals(60, grpo.learner().optimizer().schedule().totalSteps());
        assertEquals(new GrpoConfig.Passes(3, 2, 0), grpo.learner().passes());
        ScoreSpec score = (ScoreSpec) AlgorithmSpec.read(config(
                AlgorithmSpec.Name.SCORE,
                "score.stage1_steps=30",
                "score.stage2_steps=20",
                "train.warmup_steps=5",
                "train.min_lr_ratio=0.1"));
        assertEquals(50, score.stage2().optimizer().schedule().totalSteps());
        assertEquals(0, score.stage1().optimizer().scheduleOffset());
        assertEquals(30, score.stage2().optimizer().scheduleOffset(), "Stage II continues the one curve");
        RiseSpec rise = (RiseSpec) AlgorithmSpec.read(config(
                AlgorithmSpec.Name.RISE,
                "rise.iterations=4",
                "rise.sft_steps_per_iteration=30",
                "train.min_lr_ratio=0.1"));
        assertEquals(120, rise.learner().optimizer().schedule().totalSteps());
    }

    @Test
    void theTrainedPolicyStaysFloat32WhateverRunDtypeSays() {
        PolicyFactory f =
                new PolicyFactory(ConfigTree.resolve(null, List.of("run.device=cuda:0", "run.dtype=bfloat16")));
        assertEquals("bfloat16", f.device().dtype());
        assertEquals("float32", f.trainedDevice().dtype());
        assertEquals("cuda:0", f.trainedDevice().device());
    }
}
