package dev.revise.experiments.cli;

import ai.djl.ndarray.NDManager;
import dev.revise.policies.DeviceSpec;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.ModelShapes;
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

    @Option(names = "--shape", required = true, description = "tiny, small or smollm2-135m")
    String shape;

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
            policy.save(tmp);
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
