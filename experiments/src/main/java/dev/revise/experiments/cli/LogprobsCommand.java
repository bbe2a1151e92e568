package dev.revise.experiments.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.revise.experiments.train.Checkpoints;
import dev.revise.policies.DeviceSpec;
import dev.revise.policies.LlamaPolicy;
import dev.revise.rl.ScoreOptions;
import dev.revise.rl.TokenBatch;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Prints {@code {"logprobs":[...]}}: log p(t_i | t_<i) for i = 2..n, no BOS added, in float32; with
 * {@code --batch}, one such line per input line.
 */
@Command(name = "logprobs", description = "Print the log-probability of each token given the ones before it, as JSON.")
final class LogprobsCommand implements Callable<Integer> {
    /** Sequences scored per forward pass in --batch mode (bounds the activation memory). */
    private static final int ROWS_PER_PASS = 16;

    @Spec
    CommandSpec spec;

    @Option(
            names = "--checkpoint",
            required = true,
            description = "a Hugging Face checkpoint directory, or a run directory or checkpoints/latest (its latest"
                    + " checkpoint)")
    Path checkpoint;

    static final class Input {
        @Option(names = "--token-ids", split = ",", description = "comma-separated token ids (at least 2)")
        long[] tokenIds;

        @Option(
                names = "--batch",
                description =
                        "a JSONL file of {\"token_ids\": [...]} lines; prints one {\"logprobs\": [...]} line each")
        Path batch;
    }

    @ArgGroup(multiplicity = "1")
    Input input;

    @Override
    public Integer call() throws Exception {
        List<long[]> rows = new ArrayList<>();
        List<String> where = new ArrayList<>();
        if (input.batch != null) {
            List<String> lines = Files.readAllLines(input.batch);
            for (int i = 0; i < lines.size(); i++) {
                if (!lines.get(i).isBlank()) {
                    String at = input.batch + ":" + (i + 1);
                    rows.add(ids(lines.get(i), at));
                    where.add(at);
                }
            }
        } else {
            rows.add(input.tokenIds);
            where.add("--token-ids");
        }
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = LlamaPolicy.load(
                        Checkpoints.resolveArgument(checkpoint, "--checkpoint"), root, DeviceSpec.cpu())) {
            int vocab = policy.config().vocabSize();
            int[][] all = new int[rows.size()][];
            for (int r = 0; r < rows.size(); r++) {
                long[] ids = rows.get(r);
                if (ids.length < 2) {
                    throw new IllegalArgumentException(where.get(r) + ": needs at least 2 ids, got " + ids.length);
                }
                all[r] = new int[ids.length];
                for (int i = 0; i < ids.length; i++) {
                    if (ids[i] < 0 || ids[i] >= vocab) {
                        throw new IllegalArgumentException(where.get(r) + ": id " + ids[i] + " (position " + (i + 1)
                                + ") is out of range for vocab_size " + vocab);
                    }
                    all[r][i] = (int) ids[i];
                }
            }
            PrintWriter out = spec.commandLine().getOut();
            // dynamic NTK RoPE depends on the length of the sequence computed: score each line alone
            int perPass = policy.config().ropeScaling().type().equals("dynamic") ? 1 : ROWS_PER_PASS;
            for (int from = 0; from < all.length; from += perPass) {
                int to = Math.min(all.length, from + perPass);
                int[][] chunk = java.util.Arrays.copyOfRange(all, from, to);
                try (NDManager scope = root.newSubManager()) {
                    TokenBatch batch = new TokenBatch(chunk);
                    float[] flat = policy.score(scope, batch, ScoreOptions.LOGPROBS_ONLY)
                            .logProbs()
                            .toFloatArray();
                    int width = batch.maxLength() - 1;
                    for (int r = 0; r < chunk.length; r++) {
                        double[] values = new double[chunk[r].length - 1];
                        for (int i = 0; i < values.length; i++) {
                            values[i] = flat[r * width + i];
                        }
                        out.println(Json.MAPPER.writeValueAsString(Map.of("logprobs", values)));
                    }
                }
            }
            out.flush();
        }
        return 0;
    }

    private static long[] ids(String line, String where) {
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        JsonNode ids = n == null ? null : n.get("token_ids");
        if (ids == null || !ids.isArray()) {
            throw new IllegalArgumentException(where + ": expected {\"token_ids\": [...]}");
        }
        long[] out = new long[ids.size()];
        for (int i = 0; i < out.length; i++) {
            if (!ids.get(i).isIntegralNumber()) {
                throw new IllegalArgumentException(where + ": token_ids[" + i + "] is not an integer");
            }
            out[i] = ids.get(i).asLong();
        }
        return out;
    }
}
