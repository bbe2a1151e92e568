package dev.revise.experiments.ray;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.envs.SelfCorrectionEnvironment;
import dev.revise.envs.grading.Gsm8kVerifier;
import dev.revise.envs.synthetic.SyntheticVerifier;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.model.LlamaModel;
import dev.revise.policies.tokenizer.ChatFormat;
import dev.revise.policies.tokenizer.Tokenizers;
import dev.revise.rewards.RewardConfig;
import dev.revise.rl.Verifier;
import dev.revise.rl.rollout.RolloutRequest;
import dev.revise.rl.rollout.RolloutWorker;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Ray actor holding its own policy copy and a {@link RolloutWorker}. Messages are JSON strings
 * and byte[] snapshots only.
 */
public class RolloutActor {
    /** Internal messages: derived getters (isGreedy, ...) are written but ignored when read back. */
    static final ObjectMapper JSON = new ObjectMapper()
            .disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final NDManager root;
    private final LlamaPolicy policy;
    private final RolloutWorker worker;

    public RolloutActor(String specJson) throws Exception {
        RolloutSpec spec = JSON.readValue(specJson, RolloutSpec.class);
        Path tok = Files.createTempFile("revise-actor-tokenizer", ".json");
        Files.writeString(tok, spec.tokenizerJson());
        this.root = NDManager.newBaseManager();
        this.policy = new LlamaPolicy(
                LlamaModel.random(spec.model(), root, Device.cpu(), 0),
                Tokenizers.load(tok),
                null,
                spec.chatFormat().equals("plain") ? ChatFormat.PLAIN : ChatFormat.CHATML);
        Files.deleteIfExists(tok);
        Verifier verifier =
                switch (spec.verifier()) {
                    case "synthetic" -> new SyntheticVerifier();
                    case "gsm8k" -> new Gsm8kVerifier();
                    default ->
                        throw new IllegalArgumentException(
                                "rollout.verifier must be synthetic or gsm8k, got '" + spec.verifier() + "'");
                };
        this.worker = new RolloutWorker(
                new SelfCorrectionEnvironment(spec.environment(), verifier),
                policy.generator(),
                policy,
                RewardConfig.parse(spec.rewards(), "rewards"),
                spec.maxBatch());
    }

    /** Replaces the weights (a float32 snapshot of a policy with this architecture). */
    public String loadWeights(byte[] snapshot, long version) {
        policy.restore(snapshot, version);
        return "ok";
    }

    /** Runs a request (JSON) and returns the rollouts as a JSON array. */
    public String collect(String requestJson) throws Exception {
        RolloutRequest request = JSON.readValue(requestJson, RolloutRequest.class);
        return JSON.writeValueAsString(worker.run(request, policy.version()));
    }
}
