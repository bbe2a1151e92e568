package dev.revise.experiments.cli;

import ai.djl.ndarray.NDManager;
import dev.revise.experiments.train.Checkpoints;
import dev.revise.policies.DeviceSpec;
import dev.revise.policies.LlamaPolicy;
import dev.revise.rl.Completion;
import dev.revise.rl.Message;
import dev.revise.rl.Prompt;
import dev.revise.rl.SamplingParams;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Samples completions of a prompt from a checkpoint and prints them as one JSON object. */
@Command(name = "generate", description = "Sample completions of a prompt from a checkpoint (JSON on stdout).")
final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--checkpoint",
            required = true,
            description = "a Hugging Face checkpoint directory, or a run directory or checkpoints/latest (its latest"
                    + " checkpoint)")
    Path checkpoint;

    @Option(names = "--prompt", required = true, description = "prompt text")
    String prompt;

    @Option(names = "--chat", description = "render the prompt as one user message in the chat format")
    boolean chat;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "default: ${DEFAULT-VALUE}")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "1.0", description = "0 for greedy (default: ${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "0 disables (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", description = "1 disables (default: ${DEFAULT-VALUE})")
    double topP;

    @Option(names = "--stop", description = "stop string (repeatable)")
    List<String> stops = new ArrayList<>();

    @Option(names = "--samples", defaultValue = "1", description = "completions to draw (default: ${DEFAULT-VALUE})")
    int samples;

    @Option(
            names = "--seed",
            defaultValue = "0",
            description = "root seed; sample i uses seed+i (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (samples < 1) {
            throw new IllegalArgumentException("--samples must be >= 1, got " + samples);
        }
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = LlamaPolicy.load(
                        Checkpoints.resolveArgument(checkpoint, "--checkpoint"), root, DeviceSpec.cpu())) {
            int[] ids = chat
                    ? policy.encodeConversation(List.of(Message.user(prompt)))
                    : policy.tokenizer().encode(prompt);
            if (ids.length == 0) {
                throw new IllegalArgumentException("--prompt encodes to no tokens");
            }
            Set<Integer> stopIds = new java.util.TreeSet<>(policy.stopTokenIds());
            policy.tokenizer().eosId().ifPresent(stopIds::add);
            List<String> stopStrings = new ArrayList<>(stops);
            if (chat) {
                stopStrings.add(policy.chatFormat().endOfTurn());
            }
            SamplingParams params = new SamplingParams(temperature, topK, topP, maxNewTokens, stopIds, stopStrings);
            List<Prompt> prompts = new ArrayList<>();
            for (int i = 0; i < samples; i++) {
                prompts.add(new Prompt(ids, seed + i));
            }
            List<Completion> completions;
            // Progress in decoding steps: each step samples one token of every open row, and
            // maxNewTokens steps is the most a call takes.
            PrintWriter err = spec.commandLine().getErr();
            try (ProgressDisplay display = ProgressDisplay.open(
                    "generate", maxNewTokens, 0, "steps", err, ProgressDisplay.stderrIsTerminal())) {
                completions = policy.generator()
                        .generate(
                                prompts,
                                params,
                                (steps, tokens, open) ->
                                        display.update(steps, "tokens " + tokens + ", open " + open + "/" + samples));
            }
            List<Map<String, Object>> out = new ArrayList<>();
            for (Completion c : completions) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("text", c.text());
                m.put("token_ids", c.tokenIds());
                m.put("logprobs", c.logProbs());
                m.put("finish_reason", c.finishReason().name().toLowerCase(java.util.Locale.ROOT));
                out.add(m);
            }
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("prompt_token_ids", ids);
            result.put("completions", out);
            spec.commandLine().getOut().println(Json.MAPPER.writeValueAsString(result));
            spec.commandLine().getOut().flush();
        }
        return 0;
    }
}
