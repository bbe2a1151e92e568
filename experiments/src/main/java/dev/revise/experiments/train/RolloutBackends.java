package dev.revise.experiments.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.revise.envs.EnvironmentConfig;
import dev.revise.experiments.config.ConfigTree;
import dev.revise.experiments.ray.RayRolloutSource;
import dev.revise.experiments.ray.RolloutSpec;
import dev.revise.policies.LlamaPolicy;
import dev.revise.policies.tokenizer.CharTokenizer;
import dev.revise.rewards.RewardConfig;
import dev.revise.rl.rollout.LocalRolloutSource;
import dev.revise.rl.rollout.RolloutSource;
import dev.revise.rl.rollout.RolloutWorker;
import io.ray.api.Ray;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The rollout side of a config ({@code rollout.*}): Ray actors (LOCAL mode by default: one JVM, no
 * Ray installation) or threads in this JVM. Both cut the work into the same fixed units, so the
 * trajectories of a seed do not depend on the backend or the number of workers.
 */
final class RolloutBackends {
    private RolloutBackends() {}

    static RolloutSource create(ConfigTree c, LlamaPolicy policy, EnvironmentConfig env, TaskSetup taskSetup) {
        String backend = c.choice("rollout.backend", "ray", "local");
        int workers = c.integer("rollout.workers", 1, 4096);
        int perUnit = c.integer("rollout.tasks_per_unit", 1, 1 << 20);
        int retries = c.integer("rollout.max_retries", 0, 1000);
        int maxBatch = c.integer("rollout.max_batch", 1, 1 << 20);
        JsonNode rewards = Algorithms.rolloutRewards(c);
        if (backend.equals("local")) {
            return new LocalRolloutSource(
                    i -> new RolloutWorker(
                            taskSetup.environment(env),
                            policy.generator(),
                            policy,
                            RewardConfig.parse(rewards, "rewards"),
                            maxBatch),
                    policy::version,
                    workers,
                    perUnit,
                    retries);
        }
        startRay(c);
        RolloutSpec spec = new RolloutSpec(
                policy.config(),
                tokenizerJson(policy, new PolicyFactory(c).checkpoint()),
                c.string("policy.chat_format").equals("plain") ? "plain" : "chatml",
                env,
                taskSetup.verifierName(),
                rewards,
                maxBatch);
        RayRolloutSource ray = new RayRolloutSource(spec, policy, workers, perUnit, retries);
        return new RolloutSource() {
            @Override
            public java.util.List<dev.revise.rl.rollout.Rollout> collect(
                    dev.revise.rl.rollout.RolloutRequest request) {
                return ray.collect(request);
            }

            @Override
            public void close() {
                ray.close();
                Ray.shutdown();
            }
        };
    }

    private static void startRay(ConfigTree c) {
        if (Ray.isInitialized()) {
            return;
        }
        String address = c.optionalString("rollout.ray_address");
        if (address == null) {
            System.setProperty("ray.run-mode", "LOCAL");
            if (System.getProperty("ray.session-dir") == null) {
                try {
                    Path session = Files.createTempDirectory("revise-ray");
                    session.toFile().deleteOnExit();
                    System.setProperty("ray.session-dir", session.toString());
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot create a Ray session directory", e);
                }
            }
        } else {
            String codePath = c.optionalString("rollout.code_search_path");
            if (codePath == null || !Files.isDirectory(Path.of(codePath))) {
                throw new IllegalArgumentException("rollout.code_search_path: cluster mode needs the directory of"
                        + " revise's jars, the same path on every node (got " + codePath + ")");
            }
            System.setProperty("ray.run-mode", "CLUSTER");
            System.setProperty("ray.address", address);
            System.setProperty("ray.job.code-search-path", codePath);
        }
        Ray.init();
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
                return RolloutActorJson.MAPPER.writeValueAsString(ct.toJson());
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("a random-weight policy without the built-in tokenizer");
    }

    private static final class RolloutActorJson {
        static final com.fasterxml.jackson.databind.ObjectMapper MAPPER =
                new com.fasterxml.jackson.databind.ObjectMapper();
    }
}
