package dev.revise.experiments.ray;

import com.fasterxml.jackson.databind.JsonNode;
import dev.revise.envs.EnvironmentConfig;
import dev.revise.policies.model.LlamaConfig;

/**
 * Everything a rollout actor needs to build its own policy copy, environment, verifier and reward
 * function, sent once as JSON (Ray's Java serializer is slow and fragile with records; strings and
 * byte[] are not). Weights follow separately as versioned float32 snapshots.
 *
 * @param model the architecture
 * @param tokenizerJson the tokenizer.json text
 * @param chatFormat {@code plain} or {@code chatml}
 * @param environment the episode configuration
 * @param verifier {@code synthetic} or {@code gsm8k}
 * @param rewards the reward terms (the rewards module's config format)
 * @param maxBatch sequences per generation call
 */
public record RolloutSpec(
        LlamaConfig model,
        String tokenizerJson,
        String chatFormat,
        EnvironmentConfig environment,
        String verifier,
        JsonNode rewards,
        int maxBatch) {}
