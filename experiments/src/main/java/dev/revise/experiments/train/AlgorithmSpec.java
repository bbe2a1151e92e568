package dev.revise.experiments.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.revise.experiments.config.ConfigTree;
import dev.revise.experiments.tasks.TaskSetup;
import dev.revise.policies.LlamaPolicy;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.TaskSource;
import dev.revise.rl.learn.LearnerState;
import dev.revise.rl.learn.Trainer;
import dev.revise.rl.rollout.RolloutSource;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code algorithm} of a config, read once: {@link #read(ConfigTree)} range-checks every key
 * the chosen algorithm reads, applies the cross-key refusals, and returns one record per family
 * holding finished {@code rl} configs. {@code train --dry-run} and {@code train} call the same
 * read, so a dry run rejects whatever a run would. A key of the algorithm's own sections that it
 * does not read (SCoRe's {@code train.steps}) is refused when set to anything but its default.
 */
public sealed interface AlgorithmSpec
        permits SftSpec, PolicyGradientSpec, PpoSpec, ScoreSpec, RiseSpec, CorrectionSftSpec {

    /** The algorithm names of {@code algorithm:}, with the config sections each reads. */
    enum Name {
        SFT("sft"),
        GRPO("grpo"),
        RLOO("rloo"),
        REINFORCE("reinforce"),
        PPO("ppo"),
        SCORE("score"),
        RISE("rise"),
        PAIR_SFT("pair_sft"),
        STAR("star");

        public final String configName;

        Name(String configName) {
            this.configName = configName;
        }

        static Name of(ConfigTree c) {
            String[] names = Arrays.stream(values()).map(n -> n.configName).toArray(String[]::new);
            return valueOf(c.choice("algorithm", names).toUpperCase(Locale.ROOT));
        }

        /** Its own section of the config ({@code grpo} for GRPO, RLOO and REINFORCE). */
        public String section() {
            return switch (this) {
                case GRPO, RLOO, REINFORCE -> "grpo";
                case PAIR_SFT, STAR -> "correction_sft";
                default -> configName;
            };
        }

        /** Keys of {@code train} this algorithm does not read (a non-default value is refused). */
        public Set<String> unreadTrainKeys() {
            return switch (this) {
                case SFT -> Set.of("train.tasks_per_step", "train.group_size");
                case SCORE -> Set.of("train.steps");
                case RISE -> Set.of("train.steps", "train.group_size");
                default -> Set.of();
            };
        }
    }

    Name name();

    /** Updates of the run (what progress, evaluation and checkpoints count). */
    long updates();

    /** The reward the rollout workers compute, in the rewards module's format. */
    JsonNode rolloutRewards();

    /** Whether the frozen reference policy is needed (a KL term, or samples from the base). */
    boolean needsReference();

    /** Whether rollouts come from the frozen initial policy (offline supervised baselines). */
    default boolean samplesFromBase() {
        return false;
    }

    default boolean needsRollouts() {
        return name() != Name.SFT;
    }

    /** What a built algorithm uses: the policies, the task stream, the rollouts and the task setup. */
    record Wiring(
            LlamaPolicy policy,
            LlamaPolicy reference,
            TaskSource tasks,
            RolloutSource rollouts,
            TaskSetup taskSetup,
            SamplingParams sampling) {}

    /** A built algorithm: its outer loop and the learner states a checkpoint keeps, by name. */
    record Built(Trainer trainer, Map<String, LearnerState> states, List<AutoCloseable> resources) {}

    Built build(Wiring w);

    /** The rollout sampling of {@code sampling.*}; a turn ends at any of {@code stopIds}. */
    static SamplingParams sampling(ConfigTree c, int maxTokens, Set<Integer> stopIds) {
        return SamplingParams.sample(maxTokens)
                .withTemperature(c.number("sampling.temperature", 0, 100))
                .withTopP(c.number("sampling.top_p", 1e-9, 1))
                .withTopK(c.integer("sampling.top_k", 0, Integer.MAX_VALUE))
                .withStopTokenIds(stopIds);
    }

    /** Reads and checks the algorithm of {@code c}; every error names the key. */
    static AlgorithmSpec read(ConfigTree c) {
        Name name = Name.of(c);
        for (String key : name.unreadTrainKeys()) {
            refuseIfSet(c, key, name.configName + " does not read it (" + countNote(name) + ")");
        }
        if (name != Name.SCORE) {
            refuseIfSet(c, "rewards_stage1", "only score has a Stage I reward");
        }
        if (name == Name.SFT || name == Name.PAIR_SFT || name == Name.STAR) {
            refuseIfSet(c, "rewards", name.configName + " learns from targets, not rewards");
        }
        if (name == Name.PPO && c.integer("env.window", 0, Integer.MAX_VALUE) > 0) {
            // token-level GAE runs along one sequence; a window gives later turns contexts of their own
            throw new IllegalArgumentException("env.window: ppo needs each episode as one token sequence; use grpo,"
                    + " rloo or reinforce with a window, or set env.window to 0");
        }
        long seed = c.longValue("run.seed");
        AlgorithmKeys r = new AlgorithmKeys(c, seed);
        return switch (name) {
            case SFT -> new SftSpec(r.sft(r.steps()), r.steps(), SftBatches.Spec.read(c), seed);
            case GRPO, RLOO, REINFORCE -> PolicyGradientSpec.read(c, name, r);
            case PPO -> PpoSpec.read(c, r);
            case SCORE -> ScoreSpec.read(c, r);
            case RISE -> RiseSpec.read(c, r);
            case PAIR_SFT, STAR -> CorrectionSftSpec.read(c, name, r);
        };
    }

    private static String countNote(Name name) {
        return switch (name) {
            case SCORE -> "its updates are score.stage1_steps + score.stage2_steps";
            case RISE -> "its updates are rise.iterations, each over train.tasks_per_step problems, one sample each";
            default -> "it trains on supervised batches of sft.batch examples";
        };
    }

    /** Refuses a key that does nothing here when it differs from its default. */
    static void refuseIfSet(ConfigTree c, String key, String why) {
        if (!c.isDefault(key)) {
            throw new IllegalArgumentException(key + ": " + why + "; remove it or set it back to its default");
        }
    }
}
