package dev.revise.experiments.ray;

import com.fasterxml.jackson.databind.JsonNode;
import dev.revise.envs.EnvironmentConfig;
import dev.revise.policies.DeviceSpec;
import dev.revise.policies.lora.LoraConfig;
import dev.revise.policies.model.LlamaConfig;

/**
 * Everything a rollout actor needs to build its own policy copy, environment, verifier and reward
 * function, sent once as JSON (Ray's Java serializer is slow and fragile with records; strings and
 * byte[] are not). Weights follow separately as versioned float32 snapshots.
 *
 * @param model the architecture
 * @param tokenizerJson the tokenizer.json text
 * @param chatFormat {@code plain}, {@code chatml} or {@code model} (the model's own template, {@code template})
 * @param environment the episode configuration
 * @param verifier {@code synthetic} or {@code gsm8k}
 * @param rewards the reward terms (the rewards module's config format)
 * @param maxBatch sequences per generation call
 * @param device where the actor's policy runs; {@code cuda} without an index means the GPU Ray
 *     assigned to the actor (see {@link RolloutActor#resolveDevice}); null means cpu/float32
 * @param faults fault injection for tests; null (the default) injects nothing
 * @param template the model's chat template when {@code chatFormat} is {@code model}, else null
 * @param lora the adapter a LoRA run trains (the actor holds the base once and receives only the
 *     adapter's weights per version), else null
 * @param kvReuse {@code rollout.kv_reuse}: sample through a decode session (continuous batching,
 *     shared prompt prefills, KV reuse across turns); null means true
 */
public record RolloutSpec(
        LlamaConfig model,
        String tokenizerJson,
        String chatFormat,
        EnvironmentConfig environment,
        String verifier,
        JsonNode rewards,
        int maxBatch,
        DeviceSpec device,
        FaultInjection faults,
        ChatTemplate template,
        LoraConfig lora,
        Boolean kvReuse) {
    public RolloutSpec {
        if (device == null) {
            device = DeviceSpec.cpu();
        }
        if (kvReuse == null) {
            kvReuse = true;
        }
        if (chatFormat.equals("model") != (template != null)) {
            throw new IllegalArgumentException("chat format '" + chatFormat + "' with template " + template);
        }
    }

    /** A model's chat template as the actor rebuilds it: the Jinja source, its special tokens and arguments. */
    public record ChatTemplate(
            String source, java.util.Map<String, String> specialTokens, java.util.Map<String, Object> args) {}

    /** A CPU spec without fault injection. */
    public RolloutSpec(
            LlamaConfig model,
            String tokenizerJson,
            String chatFormat,
            EnvironmentConfig environment,
            String verifier,
            JsonNode rewards,
            int maxBatch) {
        this(
                model,
                tokenizerJson,
                chatFormat,
                environment,
                verifier,
                rewards,
                maxBatch,
                DeviceSpec.cpu(),
                null,
                null,
                null,
                true);
    }

    public RolloutSpec withDevice(DeviceSpec d) {
        return new RolloutSpec(
                model,
                tokenizerJson,
                chatFormat,
                environment,
                verifier,
                rewards,
                maxBatch,
                d,
                faults,
                template,
                lora,
                kvReuse);
    }

    public RolloutSpec withFaults(FaultInjection f) {
        return new RolloutSpec(
                model,
                tokenizerJson,
                chatFormat,
                environment,
                verifier,
                rewards,
                maxBatch,
                device,
                f,
                template,
                lora,
                kvReuse);
    }

    /** The spec rendering conversations with the model's own template. */
    public RolloutSpec withTemplate(ChatTemplate t) {
        return new RolloutSpec(
                model,
                tokenizerJson,
                "model",
                environment,
                verifier,
                rewards,
                maxBatch,
                device,
                faults,
                t,
                lora,
                kvReuse);
    }

    /** The spec of actors that sample with a LoRA adapter over the frozen base. */
    public RolloutSpec withLora(LoraConfig l) {
        return new RolloutSpec(
                model,
                tokenizerJson,
                chatFormat,
                environment,
                verifier,
                rewards,
                maxBatch,
                device,
                faults,
                template,
                l,
                kvReuse);
    }

    /** The spec of actors that sample turn by turn, each context prefilled in full ({@code rollout.kv_reuse: false}). */
    public RolloutSpec withKvReuse(boolean on) {
        return new RolloutSpec(
                model,
                tokenizerJson,
                chatFormat,
                environment,
                verifier,
                rewards,
                maxBatch,
                device,
                faults,
                template,
                lora,
                on);
    }

    /**
     * A deterministic fault-injection knob, so that recovery can be tested where actors cannot be
     * killed (Ray LOCAL mode runs them all in one JVM): rollout actor number {@code actor} throws
     * on its {@code onCall}-th {@code collect} call (1-based) in each of its first {@code
     * incarnations} incarnations (0 is the original actor, 1 its first replacement, ...). With
     * {@code incarnations <= maxRetries} the run recovers; with more it fails.
     */
    public record FaultInjection(int actor, int incarnations, int onCall) {
        public FaultInjection {
            if (actor < 0 || incarnations < 0 || onCall < 1) {
                throw new IllegalArgumentException(
                        "fault injection needs actor >= 0, incarnations >= 0 and onCall >= 1, got " + actor + ", "
                                + incarnations + ", " + onCall);
            }
        }

        boolean failsOn(int actorIndex, int incarnation, int call) {
            return actorIndex == actor && incarnation < incarnations && call == onCall;
        }
    }
}
