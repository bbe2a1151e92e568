package dev.revise.experiments.ray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.revise.envs.SelfCorrectionEnvironment;
import dev.revise.envs.synthetic.SyntheticVerifier;
import dev.revise.policies.LlamaPolicy;
import dev.revise.rewards.RewardConfig;
import dev.revise.rl.rollout.LocalRolloutSource;
import dev.revise.rl.rollout.Rollout;
import dev.revise.rl.rollout.RolloutWorker;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Same root seed, same rollouts from local threads and from Ray actors (LOCAL mode). */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RayRolloutSourceTest {
    @Test
    void rayAndLocalRolloutsAreIdentical() throws Exception {
        RolloutFixture f = new RolloutFixture();
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = f.policy(root)) {
            List<Rollout> local = local(f, policy);
            try (RayRuntime ray = RayRuntime.start(RayOptions.local(Files.createTempDirectory("revise-ray-rollouts")));
                    RayRolloutSource source = new RayRolloutSource(f.spec, policy, 2, 2, 1)) {
                List<Rollout> remote = source.collect(f.request);
                RolloutFixture.assertSameRollouts(local, remote);
                for (int i = 0; i < local.size(); i++) {
                    assertEquals(
                            local.get(i).trajectory().turn(1).verdict(),
                            remote.get(i).trajectory().turn(1).verdict());
                }
            }
        }
    }

    /**
     * Before: Ray's LOCAL mode, whose reference counting is a no-op, kept every weight snapshot and
     * every unit's result: its object pool (and the heap) grew each update, ~600 MB per 100 updates
     * of smoke.yaml in tools/soak/soak.py.
     */
    @Test
    void localModeObjectsAreFreedOnceUsed() throws Exception {
        RolloutFixture f = new RolloutFixture();
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = f.policy(root);
                RayRuntime ray = RayRuntime.start(RayOptions.local(Files.createTempDirectory("revise-ray-pool")));
                RayRolloutSource source = new RayRolloutSource(f.spec, policy, 2, 2, 1)) {
            source.collect(f.request);
            int after1 = localPool().size();
            for (int update = 0; update < 8; update++) {
                step(root, policy, update); // a new version: a new snapshot to push
                source.collect(f.request);
            }
            assertTrue(
                    localPool().size() <= after1,
                    "LOCAL object pool: " + after1 + " after one update, "
                            + localPool().size() + " after nine");
        }
    }

    /** The LOCAL mode object store's pool (Ray 2.39's LocalModeObjectStore.pool). */
    private static java.util.Map<?, ?> localPool() throws Exception {
        Object store =
                io.ray.api.Ray.internal().getClass().getMethod("getObjectStore").invoke(io.ray.api.Ray.internal());
        java.lang.reflect.Field pool = store.getClass().getDeclaredField("pool");
        pool.setAccessible(true);
        return (java.util.Map<?, ?>) pool.get(store);
    }

    private static List<Rollout> local(RolloutFixture f, LlamaPolicy policy) {
        try (LocalRolloutSource source = new LocalRolloutSource(
                i -> new RolloutWorker(
                        new SelfCorrectionEnvironment(f.env, new SyntheticVerifier()),
                        policy.generator(),
                        policy,
                        RewardConfig.parse(f.rewards, "rewards"),
                        64),
                policy::version,
                2,
                2,
                0)) {
            return source.collect(f.request);
        }
    }

    /** A learner step: every adapter matrix gets new values, as an optimizer step changes them. */
    private static void step(NDManager root, LlamaPolicy policy, long seed) {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        for (ai.djl.ndarray.NDArray p : policy.parameters().values()) {
            float[] v = new float[(int) p.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (rng.nextDouble() - 0.5) * 2;
            }
            boolean grad = ai.djl.pytorch.jni.JniUtils.isGradMode();
            ai.djl.pytorch.jni.JniUtils.setGradMode(false);
            try (ai.djl.ndarray.NDArray src = root.create(v, p.getShape())) {
                p.set(new ai.djl.ndarray.index.NDIndex("..."), src);
            } finally {
                ai.djl.pytorch.jni.JniUtils.setGradMode(grad);
            }
        }
        policy.parametersUpdated();
    }

    /**
     * LoRA actors hold the base once and receive only the adapter per version; after a sync they
     * sample from the new version, exactly as the learner's own policy does (peers have shipped
     * runs whose actors kept sampling the initial weights).
     */
    @Test
    void loraActorsSampleFromTheVersionTheyWereSent() throws Exception {
        RolloutFixture f = new RolloutFixture();
        try (NDManager root = NDManager.newBaseManager()) {
            LlamaPolicy base = f.policy(root);
            dev.revise.policies.lora.LoraConfig lora =
                    new dev.revise.policies.lora.LoraConfig(4, 8, 0, dev.revise.policies.lora.LoraConfig.ALL_TARGETS);
            try (LlamaPolicy policy = base.withAdapter(dev.revise.policies.lora.LoraAdapter.create(
                            f.config, lora, root, ai.djl.Device.cpu(), ai.djl.ndarray.types.DataType.FLOAT32, 3));
                    RayRuntime ray = RayRuntime.start(RayOptions.local(Files.createTempDirectory("revise-ray-lora")));
                    RayRolloutSource source = new RayRolloutSource(f.spec.withLora(lora), policy, 2, 2, 1)
                            .withBase(policy::baseSnapshot)) {
                List<Rollout> first = source.collect(f.request);
                RolloutFixture.assertSameRollouts(local(f, policy), first);
                long adapterBytes = policy.adapter().float32Bytes();
                assertEquals((double) adapterBytes, source.lastCollectMetrics().get("perf/weight_sync_bytes"));
                org.assertj.core.api.Assertions.assertThat(policy.baseSnapshot().length)
                        .isGreaterThan((int) adapterBytes);

                step(root, policy, 11);
                List<Rollout> second = source.collect(f.request);
                RolloutFixture.assertSameRollouts(local(f, policy), second);
                boolean changed = false;
                for (int i = 0; i < first.size(); i++) {
                    changed |= !java.util.Arrays.equals(
                            first.get(i).sampleLogProbs(), second.get(i).sampleLogProbs());
                }
                org.assertj.core.api.Assertions.assertThat(changed)
                        .as("the actors sample from the new adapter")
                        .isTrue();
                assertEquals((double) adapterBytes, source.lastCollectMetrics().get("perf/weight_sync_bytes"));
                source.collect(f.request);
                assertEquals(0.0, source.lastCollectMetrics().get("perf/weight_sync_bytes"), "no new version, no sync");
            }
        }
    }
}
