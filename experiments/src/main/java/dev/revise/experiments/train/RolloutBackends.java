package dev.revise.experiments.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.revise.envs.EnvironmentConfig;
import dev.revise.experiments.config.ConfigTree;
import dev.revise.experiments.ray.RayOptions;
import dev.revise.experiments.ray.RayRolloutSource;
import dev.revise.experiments.ray.RayRuntime;
import dev.revise.experiments.ray.RolloutSpec;
import dev.revise.experiments.ray.WorkerResources;
import dev.revise.experiments.tasks.TaskSetup;
import dev.revise.policies.DeviceSpec;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.tokenizer.CharTokenizer;
import dev.revise.policies.tokenizer.HfChatTemplate;
import dev.revise.rewards.RewardConfig;
import dev.revise.rl.rollout.LocalRolloutSource;
import dev.revise.rl.rollout.Rollout;
import dev.revise.rl.rollout.RolloutRequest;
import dev.revise.rl.rollout.RolloutSource;
import dev.revise.rl.rollout.RolloutWorker;
import io.ray.api.Ray;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The rollout side of a config ({@code rollout.*}): Ray actors (LOCAL mode by default: one JVM, no
 * Ray installation) or threads in this JVM. Both cut the work into the same fixed units, so the
 * trajectories of a seed do not depend on the backend or the number of workers.
 */
final class RolloutBackends {
    private RolloutBackends() {}

    static RolloutSource create(
            ConfigTree c, JsonNode rewards, LlamaPolicy policy, EnvironmentConfig env, TaskSetup taskSetup) {
        String backend = c.choice("rollout.backend", "ray", "local");
        int workers = c.integer("rollout.workers", 1, 4096);
        int perUnit = c.integer("rollout.tasks_per_unit", 1, 1 << 20);
        int retries = c.integer("rollout.max_retries", 0, 1000);
        int maxBatch = c.integer("rollout.max_batch", 1, 1 << 20);
        boolean kvReuse = c.bool("rollout.kv_reuse");
        if (backend.equals("local")) {
            return new LocalRolloutSource(
                    i -> new RolloutWorker(
                            taskSetup.environment(env),
                            policy.generator(),
                            policy,
                            RewardConfig.parse(rewards, "rewards"),
                            maxBatch,
                            kvReuse),
                    policy::version,
                    workers,
                    perUnit,
                    retries);
        }
        RayRuntime runtime = Ray.isInitialized() ? null : RayRuntime.start(rayOptions(c));
        try {
            String device = c.string("rollout.device");
            RolloutSpec spec = new RolloutSpec(
                            policy.config(),
                            tokenizerJson(policy, new PolicyFactory(c).checkpoint()),
                            c.string("policy.chat_format").equals("plain") ? "plain" : "chatml",
                            env,
                            taskSetup.verifierName(),
                            rewards,
                            maxBatch)
                    .withKvReuse(kvReuse)
                    .withDevice(new DeviceSpec(device, device.equals("cpu") ? "float32" : c.string("run.dtype")));
            if (policy.chatFormat() instanceof HfChatTemplate t) {
                spec = spec.withTemplate(new RolloutSpec.ChatTemplate(t.source(), t.specialTokens(), t.args()));
            }
            if (policy.adapter() != null) {
                spec = spec.withLora(policy.adapter().config());
            }
            WorkerResources resources = new WorkerResources(
                    c.number("rollout.gpus_per_worker", 0, 1024),
                    c.number("rollout.cpus_per_worker", 0, 1024),
                    customResources(c));
            RayRolloutSource ray = new RayRolloutSource(spec, policy, workers, perUnit, retries, resources);
            if (policy.adapter() != null) {
                ray.withBase(policy::baseSnapshot);
            }
            return new RolloutSource() {
                @Override
                public List<Rollout> collect(RolloutRequest request) {
                    return ray.collect(request);
                }

                @Override
                public Map<String, Double> lastCollectMetrics() {
                    return ray.lastCollectMetrics();
                }

                @Override
                public void close() {
                    try {
                        ray.close();
                    } finally {
                        if (runtime != null) {
                            runtime.close();
                        }
                    }
                }
            };
        } catch (RuntimeException e) {
            if (runtime != null) {
                runtime.close();
            }
            throw e;
        }
    }

    /** {@code rollout.ray_address} selects cluster mode; otherwise the launcher's flags (LOCAL by default). */
    /** {@code rollout.resources_per_worker}: resource name to amount per actor. */
    static Map<String, Double> customResources(ConfigTree c) {
        JsonNode n = c.node("rollout.resources_per_worker");
        Map<String, Double> out = new java.util.LinkedHashMap<>();
        if (n == null) {
            return out;
        }
        if (!n.isObject()) {
            throw new IllegalArgumentException(
                    "rollout.resources_per_worker: expected a map of name: amount, got " + n);
        }
        n.fields().forEachRemaining(e -> {
            if (!e.getValue().isNumber()) {
                throw new IllegalArgumentException(
                        "rollout.resources_per_worker." + e.getKey() + ": expected a number, got " + e.getValue());
            }
            out.put(e.getKey(), e.getValue().asDouble());
        });
        return out;
    }

    static RayOptions rayOptions(ConfigTree c) {
        String address = c.optionalString("rollout.ray_address");
        if (address == null) {
            return RayOptions.fromSystemProperties();
        }
        String codePath = c.optionalString("rollout.code_search_path");
        if (codePath == null) {
            codePath = System.getProperty("ray.job.code-search-path");
        }
        return RayOptions.cluster(address, codePath, RayOptions.DEFAULT_CONNECT_TIMEOUT);
    }

    private static String tokenizerJson(LlamaPolicy policy, Path checkpoint) {
        if (checkpoint != null) {
            try {
                return Files.readString(checkpoint.resolve("tokenizer.json"));
            } catch (IOException e) {
                throw new UncheckedIOException(checkpoint.resolve("tokenizer.json") + ": cannot be read", e);
            }
        }
        if (policy.tokenizer() instanceof CharTokenizer ct) {
            try {
                return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(ct.toJson());
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("a random-weight policy without the built-in tokenizer");
    }
}
