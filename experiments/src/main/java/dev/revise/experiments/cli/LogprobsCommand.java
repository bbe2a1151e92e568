package dev.revise.experiments.cli;

import ai.djl.ndarray.NDManager;
import dev.revise.experiments.train.Checkpoints;
import dev.revise.policies.DeviceSpec;
import dev.revise.policies.LlamaPolicy;
import dev.revise.rl.ScoreOptions;
import dev.revise.rl.TokenBatch;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Prints {@code {"logprobs":[...]}}: log p(t_i | t_<i) for i = 2..n, no BOS added. */
@Command(name = "logprobs", description = "Print the log-probability of each token given the ones before it, as JSON.")
final class LogprobsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--checkpoint",
            required = true,
            description = "a Hugging Face checkpoint directory, or a run directory or checkpoints/latest (its latest"
                    + " checkpoint)")
    Path checkpoint;

    @Option(names = "--token-ids", required = true, split = ",", description = "comma-separated token ids (at least 2)")
    long[] tokenIds;

    @Override
    public Integer call() throws Exception {
        if (tokenIds.length < 2) {
            throw new IllegalArgumentException("--token-ids needs at least 2 ids, got " + tokenIds.length);
        }
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = LlamaPolicy.load(
                        Checkpoints.resolveArgument(checkpoint, "--checkpoint"), root, DeviceSpec.cpu());
                NDManager scope = root.newSubManager()) {
            int vocab = policy.config().vocabSize();
            int[] ids = new int[tokenIds.length];
            for (int i = 0; i < ids.length; i++) {
                if (tokenIds[i] < 0 || tokenIds[i] >= vocab) {
                    throw new IllegalArgumentException("--token-ids: id " + tokenIds[i] + " (position " + (i + 1)
                            + ") is out of range for vocab_size " + vocab);
                }
                ids[i] = (int) tokenIds[i];
            }
            float[] logprobs = policy.score(scope, new TokenBatch(new int[][] {ids}), ScoreOptions.LOGPROBS_ONLY)
                    .logProbs()
                    .toFloatArray();
            double[] values = new double[logprobs.length];
            for (int i = 0; i < values.length; i++) {
                values[i] = logprobs[i];
            }
            spec.commandLine().getOut().println(Json.MAPPER.writeValueAsString(Map.of("logprobs", values)));
            spec.commandLine().getOut().flush();
        }
        return 0;
    }
}
