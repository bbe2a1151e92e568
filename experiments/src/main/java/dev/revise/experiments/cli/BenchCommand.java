package dev.revise.experiments.cli;

import dev.revise.experiments.bench.Bench;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Prints one JSON line of measured throughput (a benchmark, never a test). */
@Command(name = "bench", description = "Measure throughput of a named shape: one JSON line on stdout.")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--shape",
            defaultValue = "small",
            description = "a named shape (revise init --help lists them; default: ${DEFAULT-VALUE})")
    String shape;

    @Option(
            names = "--workload",
            required = true,
            description = "train, decode, score, matmul, load, memory (the learner's estimated memory) or rollout")
    String workload;

    @Option(
            names = "--checkpoint",
            description = "a Hugging Face checkpoint directory: the weights of train/decode/score (instead of --shape),"
                    + " and what --workload load loads")
    java.nio.file.Path checkpoint;

    @Option(names = "--batch", description = "default: 16 for train/score, 1 for decode")
    Integer batch;

    @Option(
            names = "--seq",
            defaultValue = "128",
            description = "train/score sequence length (default: ${DEFAULT-VALUE})")
    int seq;

    @Option(names = "--prompt", defaultValue = "16", description = "decode prompt length (default: ${DEFAULT-VALUE})")
    int prompt;

    @Option(names = "--new", defaultValue = "128", description = "decode new tokens (default: ${DEFAULT-VALUE})")
    int newTokens;

    @Option(names = "--threads", defaultValue = "2", description = "intra-op threads (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(
            names = "--reps",
            defaultValue = "3",
            description = "timed repetitions after one warm-up (default: ${DEFAULT-VALUE})")
    int reps;

    @Option(
            names = "--lora-rank",
            defaultValue = "0",
            description = "train: a LoRA adapter of this rank on every projection (0: full fine-tuning)")
    int loraRank;

    @Option(names = "--checkpointing", description = "train: activation checkpointing")
    boolean checkpointing;

    @Option(
            names = "--turns",
            defaultValue = "2",
            description = "rollout: turns per episode (default: ${DEFAULT-VALUE})")
    int turns;

    @Option(
            names = "--group",
            defaultValue = "8",
            description = "rollout: samples per task (default: ${DEFAULT-VALUE})")
    int group;

    @Option(
            names = "--tasks",
            defaultValue = "16",
            description = "rollout: tasks per update (default: ${DEFAULT-VALUE})")
    int tasks;

    @Option(
            names = "--no-reuse",
            description = "rollout: sample turn by turn with every context prefilled in full (no continuous"
                    + " batching, shared prompt prefills or KV reuse across turns), to measure their gain")
    boolean noReuse;

    @Override
    public Integer call() throws Exception {
        int b = batch != null ? batch : workload.equals("decode") ? 1 : 16;
        Bench.Spec s = new Bench.Spec(
                shape,
                workload,
                b,
                seq,
                prompt,
                newTokens,
                threads,
                reps,
                checkpoint,
                loraRank,
                checkpointing,
                turns,
                group,
                tasks,
                noReuse);
        spec.commandLine().getOut().println(Json.MAPPER.writeValueAsString(Bench.run(s)));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
