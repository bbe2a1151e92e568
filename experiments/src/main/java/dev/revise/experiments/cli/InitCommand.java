package dev.revise.experiments.cli;

import ai.djl.ndarray.NDManager;
import dev.revise.policies.DeviceSpec;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.ModelShapes;
import dev.revise.policies.checkpoint.SafeDtype;
import dev.revise.policies.checkpoint.ShardedWriter;
import dev.revise.policies.model.LlamaConfig;
import dev.revise.policies.model.LlamaModel;
import dev.revise.policies.tokenizer.CharTokenizer;
import dev.revise.policies.tokenizer.ChatFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Writes a randomly initialised Hugging Face checkpoint of a named shape. */
@Command(name = "init", description = "Write a randomly initialised checkpoint of a named shape.")
final class InitCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--shape",
            required = true,
            description = "tiny, small, smollm2-135m, or the shape of a real checkpoint: qwen2.5-0.5b, qwen3-0.6b,"
                    + " llama3.2-1b")
    String shape;

    @Option(
            names = "--dtype",
            defaultValue = "float32",
            description = "float32, bfloat16 or float16 weights on disk (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(
            names = "--max-shard-size",
            defaultValue = "5GB",
            description = "shard the weights above this size, as transformers (default: ${DEFAULT-VALUE})")
    String maxShardSize;

    @Option(
            names = "--out",
            required = true,
            description = "checkpoint directory to create (must not exist or be empty)")
    Path out;

    @Option(names = "--seed", defaultValue = "0", description = "initialisation seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        LlamaConfig base = ModelShapes.named(shape);
        SafeDtype storage =
                switch (dtype) {
                    case "float32" -> SafeDtype.F32;
                    case "bfloat16" -> SafeDtype.BF16;
                    case "float16" -> SafeDtype.F16;
                    default ->
                        throw new IllegalArgumentException(
                                "--dtype must be float32, bfloat16 or float16, got '" + dtype + "'");
                };
        long shardBytes;
        try {
            shardBytes = ShardedWriter.parseSize(maxShardSize);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--max-shard-size " + e.getMessage(), e);
        }
        if (Files.exists(out)
                && (!Files.isDirectory(out) || Files.list(out).findAny().isPresent())) {
            throw new IllegalArgumentException("--out " + out + " exists and is not an empty directory");
        }
        CharTokenizer tokenizer = ModelShapes.defaultTokenizer(base.vocabSize());
        LlamaConfig config = base.withSpecialTokens(
                tokenizer.bosId().orElse(-1), tokenizer.eosId().orElse(-1));
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = new LlamaPolicy(
                        LlamaModel.random(config, root, DeviceSpec.cpu().toDevice(), seed),
                        tokenizer,
                        null,
                        ChatFormat.CHATML)) {
            Path tmp = out.resolveSibling(out.getFileName() + ".tmp-init");
            Files.createDirectories(tmp);
            policy.save(tmp, storage, shardBytes);
            Files.deleteIfExists(out);
            Files.move(tmp, out);
        }
        spec.commandLine()
                .getOut()
                .println(Json.MAPPER.writeValueAsString(
                        Map.of("checkpoint", out.toString(), "shape", shape, "params", config.parameterCount())));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
