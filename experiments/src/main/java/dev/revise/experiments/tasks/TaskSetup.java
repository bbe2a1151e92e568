package dev.revise.experiments.tasks;

import dev.revise.envs.EnvironmentConfig;
import dev.revise.envs.FeedbackMode;
import dev.revise.envs.SelfCorrectionEnvironment;
import dev.revise.envs.code.CodeTasks;
import dev.revise.envs.code.CodeVerifier;
import dev.revise.envs.code.PythonSandbox;
import dev.revise.envs.grading.Gsm8kVerifier;
import dev.revise.envs.grading.MathVerifier;
import dev.revise.envs.synthetic.StartSearch;
import dev.revise.envs.synthetic.StartSearchVerifier;
import dev.revise.envs.synthetic.SyntheticArithmetic;
import dev.revise.envs.synthetic.SyntheticTaskSource;
import dev.revise.envs.synthetic.SyntheticVerifier;
import dev.revise.envs.synthetic.TaskFamily;
import dev.revise.envs.tasks.JsonlFormat;
import dev.revise.envs.tasks.JsonlTasks;
import dev.revise.envs.tasks.ShuffledTaskSource;
import dev.revise.experiments.config.ConfigTree;
import dev.revise.rl.Task;
import dev.revise.rl.TaskSource;
import dev.revise.rl.Verifier;
import java.nio.file.Path;
import java.util.List;

/**
 * The task side of a config ({@code task.*}, {@code env.*}): the training stream, the held-out
 * problems of evaluation, the verifier and the episode configuration.
 */
public final class TaskSetup {
    private final ConfigTree config;

    public TaskSetup(ConfigTree config) {
        this.config = config;
    }

    public String dataset() {
        return config.string("task.dataset");
    }

    /** Whether {@code task.dataset} names a procedurally generated family (synthetic, start_search). */
    public boolean synthetic() {
        return isFamily(dataset());
    }

    /** Whether {@code dataset} names a generated family (its tasks have step-structured reference solutions). */
    public static boolean isGeneratedFamily(String dataset) {
        return isFamily(dataset);
    }

    private static boolean isFamily(String dataset) {
        return dataset.equals("synthetic") || dataset.equals("start_search");
    }

    /** {@code task.synthetic.*}: the arithmetic chains of the synthetic dataset. */
    public SyntheticArithmetic syntheticTask() {
        return chain("task.synthetic");
    }

    /** {@code task.start_search.*}: the chains whose start the start_search dataset hides. */
    public StartSearch startSearch() {
        com.fasterxml.jackson.databind.JsonNode r = config.node("task.start_search.result");
        Integer result =
                r == null || r.isNull() ? null : config.integer("task.start_search.result", 0, Integer.MAX_VALUE);
        return new StartSearch(chain("task.start_search"), result);
    }

    private SyntheticArithmetic chain(String section) {
        return new SyntheticArithmetic(
                config.integer(section + ".steps", 1, 32),
                config.integer(section + ".digits", 1, 6),
                config.string(section + ".operators"),
                config.integer(section + ".modulus", 0, Integer.MAX_VALUE),
                config.integer(section + ".held_out_percent", 0, 50));
    }

    /** The generated family {@code dataset} names. */
    public TaskFamily family(String dataset) {
        return switch (dataset) {
            case "synthetic" -> syntheticTask();
            case "start_search" -> startSearch();
            default -> throw new IllegalArgumentException("task.dataset '" + dataset + "' is not a generated family");
        };
    }

    /** The training stream (seeded by the run seed; resumable through its cursor). */
    public TaskSource trainSource() {
        long seed = config.longValue("run.seed");
        if (synthetic()) {
            return new SyntheticTaskSource(family(dataset()), seed);
        }
        return new ShuffledTaskSource(tasks(dataset()), seed, true);
    }

    /**
     * The first {@code n} problems evaluation uses: held-out problems of a generated family, or the
     * first n of the dataset (a named test split or a file).
     */
    public List<Task> evalTasks(String dataset, int n) {
        if (isFamily(dataset)) {
            return family(dataset).heldOutTasks(config.longValue("run.seed"), n);
        }
        List<Task> all = tasks(dataset);
        return all.subList(0, Math.min(n, all.size()));
    }

    /** The tasks of a named dataset or a JSONL file (field names from {@code task.*_field}). */
    public List<Task> tasks(String dataset) {
        return switch (dataset) {
            case "gsm8k" -> JsonlTasks.gsm8kTest();
            case "gsm8k_train_sample" -> JsonlTasks.gsm8kTrainSample();
            case "math500" -> JsonlTasks.math500();
            case "humaneval" -> CodeTasks.humanEval();
            default -> {
                if (!dataset.endsWith(".jsonl") && !dataset.endsWith(".jsonl.gz")) {
                    throw new IllegalArgumentException("task.dataset: expected synthetic, start_search, gsm8k,"
                            + " gsm8k_train_sample, math500, humaneval or a .jsonl file, got '" + dataset + "'");
                }
                Path file = Path.of(dataset);
                yield switch (config.choice("task.format", "generic", "gsm8k", "math", "humaneval", "mbpp")) {
                    case "gsm8k" -> JsonlTasks.read(file, JsonlFormat.GSM8K);
                    case "math" -> JsonlTasks.read(file, JsonlFormat.MATH);
                    case "humaneval" -> CodeTasks.humanEval(file);
                    case "mbpp" -> CodeTasks.mbpp(file);
                    default ->
                        JsonlTasks.read(
                                file,
                                JsonlFormat.generic(
                                        config.optionalString("task.id_field"),
                                        config.string("task.prompt_field"),
                                        config.string("task.answer_field")));
                };
            }
        };
    }

    /** {@code task.verifier}, with {@code auto} chosen from the dataset. */
    public String verifierName() {
        String v = config.choice("task.verifier", "auto", "synthetic", "start_search", "gsm8k", "math", "code");
        if (!v.equals("auto")) {
            return v;
        }
        String format = config.choice("task.format", "generic", "gsm8k", "math", "humaneval", "mbpp");
        return switch (dataset()) {
            case "synthetic" -> "synthetic";
            case "start_search" -> "start_search";
            case "math500" -> "math";
            case "humaneval" -> "code";
            default ->
                switch (format) {
                    case "math" -> "math";
                    case "humaneval", "mbpp" -> "code";
                    default -> "gsm8k";
                };
        };
    }

    public static Verifier verifier(String name) {
        return switch (name) {
            case "synthetic" -> new SyntheticVerifier();
            case "start_search" -> new StartSearchVerifier();
            case "gsm8k" -> new Gsm8kVerifier();
            case "math" -> new MathVerifier();
            case "code" -> new CodeVerifier(sandbox());
            default ->
                throw new IllegalArgumentException(
                        "task.verifier: expected synthetic, start_search, gsm8k, math or code, got '" + name + "'");
        };
    }

    private static PythonSandbox sandbox;

    /**
     * One sandbox per JVM: it probes the platform's protections once and bounds concurrent
     * candidate processes across every rollout worker.
     */
    static synchronized PythonSandbox sandbox() {
        if (sandbox == null) {
            sandbox = new PythonSandbox();
        }
        return sandbox;
    }

    public EnvironmentConfig environment() {
        String instruction = config.string("env.instruction");
        instruction = switch (instruction) {
            case "score_math" -> EnvironmentConfig.SCORE_MATH_INSTRUCTION;
            case "score_code" -> EnvironmentConfig.SCORE_CODE_INSTRUCTION;
            default -> instruction;
        };
        String feedback = config.choice("env.feedback", "intrinsic", "oracle", "oracle_always_retry", "hint");
        return new EnvironmentConfig(
                config.integer("env.turns", 1, 64),
                config.string("env.prompt_template"),
                FeedbackMode.parse(feedback.replace('_', '-')),
                instruction,
                config.string("env.retry_message"),
                config.string("env.hint_template"),
                config.integer("env.window", 0, 64),
                config.integer("env.max_chars_per_turn", 0, Integer.MAX_VALUE),
                config.integer("env.max_tokens_per_turn", 1, 1 << 20));
    }

    public SelfCorrectionEnvironment environment(EnvironmentConfig env) {
        return new SelfCorrectionEnvironment(env, verifier(verifierName()));
    }
}
