package dev.revise.experiments.ray;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.envs.SelfCorrectionEnvironment;
import dev.revise.policies.DeviceSpec;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.model.LlamaModel;
import dev.revise.policies.tokenizer.ChatFormat;
import dev.revise.policies.tokenizer.Tokenizers;
import dev.revise.rewards.RewardConfig;
import dev.revise.rl.Verifier;
import dev.revise.rl.rollout.RolloutRequest;
import dev.revise.rl.rollout.RolloutWorker;
import io.ray.api.Ray;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A Ray actor holding its own policy copy and a {@link RolloutWorker}. Messages are JSON strings
 * and byte[] snapshots only. The actor knows its index and incarnation (how many times that slot
 * has been replaced) for error messages and for the spec's fault injection.
 */
public class RolloutActor {
    /** Internal messages: derived getters (isGreedy, ...) are written but ignored when read back. */
    static final ObjectMapper JSON = new ObjectMapper()
            .disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final int index;
    private final int incarnation;
    private final Built built;
    private final Exception buildError;
    private final RolloutSpec.FaultInjection faults;
    private int calls;

    private record Built(NDManager root, LlamaPolicy policy, RolloutWorker worker) {}

    /**
     * Never throws: Ray 2.39 LOCAL mode calls System.exit when an actor constructor throws, which
     * would take the learner's JVM down with it. A failed build is kept and reported by every call,
     * so the source's retries and error message (actor index and cause) apply to it as well.
     */
    public RolloutActor(String specJson, int index, int incarnation) {
        this.index = index;
        this.incarnation = incarnation;
        RolloutSpec spec = null;
        Built b = null;
        Exception error = null;
        try {
            spec = JSON.readValue(specJson, RolloutSpec.class);
            b = build(spec);
        } catch (Exception | LinkageError e) {
            error = e instanceof Exception ex ? ex : new IllegalStateException(e);
        }
        this.built = b;
        this.buildError = error;
        this.faults = spec == null ? null : spec.faults();
    }

    private static Built build(RolloutSpec spec) throws Exception {
        Verifier verifier = dev.revise.experiments.tasks.TaskSetup.verifier(spec.verifier());
        DeviceSpec device = spec.device();
        if (device.device().equals("cuda")) {
            device = resolveDevice(device, Ray.getRuntimeContext().getGpuIds(), System.getenv("CUDA_VISIBLE_DEVICES"));
        }
        Path tok = Files.createTempFile("revise-actor-tokenizer", ".json");
        NDManager root = NDManager.newBaseManager();
        try {
            Files.writeString(tok, spec.tokenizerJson());
            LlamaPolicy policy = new LlamaPolicy(
                    LlamaModel.random(spec.model(), root, device.toDevice(), device.dataType(), 0),
                    Tokenizers.load(tok),
                    null,
                    chatFormat(spec));
            if (spec.lora() != null) {
                // placeholder values: loadAll brings the base and the adapter before any rollout
                policy = policy.withAdapter(dev.revise.policies.lora.LoraAdapter.create(
                        spec.model(), spec.lora(), root, device.toDevice(), device.dataType(), 0));
            }
            RolloutWorker worker = new RolloutWorker(
                    new SelfCorrectionEnvironment(spec.environment(), verifier),
                    policy.generator(),
                    policy,
                    RewardConfig.parse(spec.rewards(), "rewards"),
                    spec.maxBatch(),
                    spec.kvReuse());
            return new Built(root, policy, worker);
        } catch (Exception | LinkageError e) {
            root.close();
            throw e;
        } finally {
            Files.deleteIfExists(tok);
        }
    }

    private static ChatFormat chatFormat(RolloutSpec spec) {
        return switch (spec.chatFormat()) {
            case "plain" -> ChatFormat.PLAIN;
            case "model" ->
                new dev.revise.policies.tokenizer.HfChatTemplate(
                        spec.template().source(),
                        spec.template().specialTokens(),
                        spec.template().args());
            default -> ChatFormat.CHATML;
        };
    }

    private Built built() {
        if (built == null) {
            throw new IllegalStateException(
                    "rollout actor " + index + " (incarnation " + incarnation + ") could not be built: " + buildError,
                    buildError);
        }
        return built;
    }

    /**
     * The libtorch device of the GPU Ray assigned to this actor. A JVM cannot change its own
     * environment, so unlike a Python worker a Java worker gets no per-actor CUDA_VISIBLE_DEVICES:
     * libtorch sees the node's GPUs (or those the node was started with) and Ray reports the
     * assigned ones through {@code getGpuIds()}, mapped to the entries of CUDA_VISIBLE_DEVICES
     * when that is set; libtorch numbers devices by their position in that list.
     *
     * @param requested {@code cuda} (resolved here) or an explicit {@code cuda:N}/{@code cpu}
     * @param gpuIds {@code Ray.getRuntimeContext().getGpuIds()} in the actor
     * @param cudaVisibleDevices the actor process's CUDA_VISIBLE_DEVICES, or null
     */
    public static DeviceSpec resolveDevice(DeviceSpec requested, List<Long> gpuIds, String cudaVisibleDevices) {
        if (!requested.device().equals("cuda")) {
            return requested;
        }
        if (gpuIds == null || gpuIds.isEmpty()) {
            throw new IllegalStateException("rollout actor asked for the GPU Ray assigned it, but Ray assigned none:"
                    + " create it with rollout.gpus_per_worker > 0, in cluster mode");
        }
        long id = gpuIds.get(0);
        int ordinal = (int) id;
        if (cudaVisibleDevices != null && !cudaVisibleDevices.isBlank()) {
            List<String> visible = Arrays.stream(cudaVisibleDevices.split(","))
                    .map(String::trim)
                    .toList();
            ordinal = visible.indexOf(Long.toString(id));
            if (ordinal < 0) {
                throw new IllegalStateException("Ray assigned GPU " + id + " but CUDA_VISIBLE_DEVICES="
                        + cudaVisibleDevices + " in the actor's process does not list it");
            }
        }
        return new DeviceSpec("cuda:" + ordinal, requested.dtype());
    }

    /** Answers once the constructor has run (LOCAL mode runs later calls only after it), or reports its error. */
    public String ready() {
        built();
        return "ok";
    }

    /** Replaces the weights (a float32 snapshot of a policy with this architecture). */
    public String loadWeights(byte[] snapshot, long version) {
        built().policy().restore(snapshot, version);
        return "ok";
    }

    /**
     * A LoRA actor's first load: the base's weights (a {@code baseSnapshot}) and the adapter's
     * (a {@code snapshot}) of {@code version}.
     */
    public String loadAll(byte[] base, byte[] adapter, long version) {
        built().policy().restoreBase(base);
        built().policy().restore(adapter, version);
        return "ok";
    }

    /** Runs a request (JSON) and returns the rollouts as a JSON array. */
    public String collect(String requestJson) throws Exception {
        Built b = built();
        calls++;
        if (faults != null && faults.failsOn(index, incarnation, calls)) {
            throw new IllegalStateException("injected fault (RolloutSpec.faults): actor " + index + " incarnation "
                    + incarnation + " call " + calls);
        }
        RolloutRequest request = JSON.readValue(requestJson, RolloutRequest.class);
        return JSON.writeValueAsString(b.worker().run(request, b.policy().version()));
    }
}
