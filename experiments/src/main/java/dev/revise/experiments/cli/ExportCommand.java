package dev.revise.experiments.cli;

import ai.djl.ndarray.NDManager;
import dev.revise.experiments.train.Checkpoints;
import dev.revise.policies.DeviceSpec;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.checkpoint.SafeDtype;
import dev.revise.policies.checkpoint.ShardedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code revise export}: a checkpoint as a plain Hugging Face model directory. A LoRA checkpoint
 * (a PEFT adapter) is merged into its base in float32, W + (alpha / r) B A as PEFT's {@code
 * merge_and_unload} does, then written in the base's own dtype unless {@code --dtype} says
 * otherwise, sharded as the checkpoint writer shards.
 */
@Command(name = "export", description = "Write a checkpoint as a plain Hugging Face model (LoRA adapters merged).")
final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--checkpoint",
            required = true,
            description = "a checkpoint directory (a LoRA run's: a PEFT adapter), or a run directory (its latest)")
    Path checkpoint;

    @Option(names = "--merge", description = "merge a LoRA adapter into its base (required for an adapter)")
    boolean merge;

    @Option(names = "--out", required = true, description = "the directory to write (must not exist or be empty)")
    Path out;

    @Option(
            names = "--dtype",
            defaultValue = "source",
            description = "source (the base's own dtype), float32, bfloat16 or float16 (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(
            names = "--max-shard-size",
            defaultValue = "5GB",
            description = "shard the weights above this size, as transformers does (default: ${DEFAULT-VALUE})")
    String maxShardSize;

    @Override
    public Integer call() throws Exception {
        Path ck = Checkpoints.resolveArgument(checkpoint, "--checkpoint");
        if (Files.exists(out)
                && (!Files.isDirectory(out) || Files.list(out).findAny().isPresent())) {
            throw new IllegalArgumentException("--out " + out + " exists and is not an empty directory");
        }
        long shard;
        try {
            shard = ShardedWriter.parseSize(maxShardSize);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--max-shard-size: " + e.getMessage(), e);
        }
        try (NDManager root = NDManager.newBaseManager();
                // float32 whatever the files hold: the merge adds a small update to each weight
                LlamaPolicy loaded = LlamaPolicy.load(ck, Checkpoints.trainingWeights(ck), root, DeviceSpec.cpu())) {
            if (loaded.adapter() != null && !merge) {
                throw new IllegalArgumentException("--checkpoint " + ck + " is a LoRA adapter: pass --merge to"
                        + " write its base with the adapter merged (the adapter alone already is a PEFT directory)");
            }
            if (loaded.adapter() == null && merge) {
                throw new IllegalArgumentException("--merge: " + ck + " has no adapter to merge");
            }
            SafeDtype storage = storage(dtype, loaded.sourceDtype());
            if (loaded.adapter() != null) {
                loaded.adapter().mergeInto(loaded.model().parameters());
                try (LlamaPolicy merged = loaded.base()) {
                    merged.parametersUpdated();
                    merged.save(out, storage, shard);
                }
            } else {
                loaded.save(out, storage, shard);
            }
        }
        spec.commandLine().getOut().println("wrote " + out.toAbsolutePath().normalize());
        spec.commandLine().getOut().flush();
        return 0;
    }

    private static SafeDtype storage(String name, SafeDtype source) {
        return switch (name) {
            case "source" -> source;
            case "float32" -> SafeDtype.F32;
            case "bfloat16" -> SafeDtype.BF16;
            case "float16" -> SafeDtype.F16;
            default ->
                throw new IllegalArgumentException(
                        "--dtype " + name + ": expected source, float32, bfloat16 or float16");
        };
    }
}
