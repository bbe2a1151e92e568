package dev.revise.experiments.ray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.revise.policies.DeviceSpec;
import dev.revise.policies.LlamaPolicy;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * GPU actors: the resources they reserve, the device their policy picks from what Ray assigned,
 * and LOCAL mode refusing GPU requests (it ignores resources). No GPU here, so the cluster path
 * is tested up to the Ray call.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RayGpuResourcesTest {
    @Test
    void resourcesBecomeRaysResourceMapAndTheCpuDefaultRequestsNothing() {
        assertEquals(Map.of(), WorkerResources.NONE.asRayResources());
        assertEquals(Map.of("GPU", 0.5), new WorkerResources(0.5, 0).asRayResources());
        assertEquals(Map.of("GPU", 1.0, "CPU", 2.0), new WorkerResources(1, 2).asRayResources());
        assertThat(assertThrows(IllegalArgumentException.class, () -> new WorkerResources(1.5, 0))
                        .getMessage())
                .contains("rollout.gpus_per_worker must be a whole number when above 1");
        assertThrows(IllegalArgumentException.class, () -> new WorkerResources(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> new WorkerResources(0, Double.NaN));
    }

    @Test
    void gpuActorsRunOnTheGpuRayAssignsInTheRequestedDtype() throws Exception {
        RolloutSpec spec = new RolloutFixture().spec;
        assertSame(spec, RayRolloutSource.actorSpec(spec, WorkerResources.NONE, true), "CPU default unchanged");
        assertSame(spec, RayRolloutSource.actorSpec(spec, WorkerResources.NONE, false));
        RolloutSpec gpu = RayRolloutSource.actorSpec(
                spec.withDevice(new DeviceSpec("cuda:3", "bfloat16")), new WorkerResources(0.5, 0), false);
        assertEquals(new DeviceSpec("cuda", "bfloat16"), gpu.device());
        assertEquals(
                new DeviceSpec("cuda", "float32"),
                RayRolloutSource.actorSpec(spec, new WorkerResources(1, 0), false)
                        .device());
        assertThat(assertThrows(
                                IllegalArgumentException.class,
                                () -> RayRolloutSource.actorSpec(
                                        spec.withDevice(new DeviceSpec("cuda:0", "float32")),
                                        WorkerResources.NONE,
                                        false))
                        .getMessage())
                .contains("need rollout.gpus_per_worker > 0");
    }

    @Test
    void theAssignedGpuIsMappedToLibtorchsNumbering() {
        DeviceSpec cuda = new DeviceSpec("cuda", "float16");
        assertEquals(new DeviceSpec("cuda:2", "float16"), RolloutActor.resolveDevice(cuda, List.of(2L), null));
        // node started with CUDA_VISIBLE_DEVICES=4,6: Ray reports physical 6, libtorch calls it cuda:1
        assertEquals(new DeviceSpec("cuda:1", "float16"), RolloutActor.resolveDevice(cuda, List.of(6L), "4,6"));
        assertEquals(new DeviceSpec("cuda:0", "float16"), RolloutActor.resolveDevice(cuda, List.of(3L), "3"));
        DeviceSpec explicit = new DeviceSpec("cuda:1", "float32");
        assertSame(explicit, RolloutActor.resolveDevice(explicit, List.of(), null));
        assertThat(assertThrows(IllegalStateException.class, () -> RolloutActor.resolveDevice(cuda, List.of(), null))
                        .getMessage())
                .contains("Ray assigned none");
    }

    @Test
    void tooFewGpuSlotsInTheClusterFailBeforeAnyActorIsCreated() {
        List<Map<String, Double>> nodes = List.of(Map.of("CPU", 8.0, "GPU", 1.0), Map.of("CPU", 8.0));
        WorkerResources half = new WorkerResources(0.5, 0);
        assertEquals(2, half.slots(nodes));
        RayRolloutSource.checkCapacity(half, 2, nodes);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> RayRolloutSource.checkCapacity(half, 3, nodes));
        assertThat(e.getMessage()).startsWith("rollout.workers=3 with {GPU=0.5} each needs 3 actor slots");
        assertEquals(0, new WorkerResources(2, 0).slots(nodes));
        assertEquals(3, new WorkerResources(1, 4).slots(List.of(Map.of("CPU", 12.0, "GPU", 4.0))));
    }

    @Test
    void localModeRefusesGpuRequestsAndRunsCpuActors() throws Exception {
        RolloutFixture f = new RolloutFixture();
        try (RayRuntime ray = RayRuntime.start(RayOptions.local(Files.createTempDirectory("revise-ray-gpu")));
                NDManager root = NDManager.newBaseManager();
                LlamaPolicy policy = f.policy(root)) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> new RayRolloutSource(f.spec, policy, 2, 2, 0, new WorkerResources(1, 0)));
            assertThat(e.getMessage())
                    .startsWith("rollout.gpus_per_worker=1.0 cannot be honoured in Ray LOCAL mode")
                    .contains("-Dray.address");
            // CPU reservations are accepted; LOCAL mode does not enforce them
            try (RayRolloutSource source = new RayRolloutSource(f.spec, policy, 1, 3, 0, new WorkerResources(0, 1))) {
                assertTrue(source.collect(f.request).size() == 18);
            }
        }
    }

    /** Custom resources choose the nodes: an actor goes only where they are offered. */
    @Test
    void customResourcesPinActorsToNodesThatOfferThem() {
        WorkerResources r = new WorkerResources(0, 0, java.util.Map.of("worker_node", 1.0));
        assertEquals(java.util.Map.of("worker_node", 1.0), r.asRayResources());
        List<java.util.Map<String, Double>> nodes = List.of(
                java.util.Map.of("CPU", 0.0),
                java.util.Map.of("CPU", 2.0, "worker_node", 1.0),
                java.util.Map.of("CPU", 2.0, "worker_node", 1.0));
        assertEquals(2, r.slots(nodes), "one per worker node, none on the head");
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> RayRolloutSource.checkCapacity(r, 3, nodes));
        assertThat(e.getMessage()).contains("rollout.workers=3", "worker_node");
        assertThat(assertThrows(
                                IllegalArgumentException.class,
                                () -> new WorkerResources(0, 0, java.util.Map.of("GPU", 1.0)))
                        .getMessage())
                .contains("rollout.resources_per_worker.GPU");
        assertThat(assertThrows(
                                IllegalArgumentException.class,
                                () -> new WorkerResources(0, 0, java.util.Map.of("node_a", -1.0)))
                        .getMessage())
                .contains("rollout.resources_per_worker.node_a");
    }
}
