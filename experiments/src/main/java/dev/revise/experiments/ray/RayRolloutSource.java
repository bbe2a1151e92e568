package dev.revise.experiments.ray;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.revise.policies.DeviceSpec;
import dev.revise.rl.Policy;
import dev.revise.rl.Task;
import dev.revise.rl.rollout.Rollout;
import dev.revise.rl.rollout.RolloutRequest;
import dev.revise.rl.rollout.RolloutSource;
import io.ray.api.ActorHandle;
import io.ray.api.ObjectRef;
import io.ray.api.Ray;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rollouts on Ray actors, each holding its own policy copy. Work is cut into the same fixed units
 * as {@link dev.revise.rl.rollout.LocalRolloutSource} (tasksPerUnit tasks each), so local and Ray
 * runs with the same root seed produce the same rollouts. Weights are pushed as one byte[]
 * snapshot per actor only when the learner's policy version changed. A unit whose actor fails is
 * resubmitted to a new actor up to {@code maxRetries} times; then the collection fails naming the
 * actor and the cause. Ray must be initialised by the caller ({@link RayRuntime}; LOCAL mode needs
 * no installation).
 *
 * <p>With {@link WorkerResources} asking for GPUs, each actor reserves them ({@code setResources})
 * and its policy goes on the GPU Ray assigned it. Ray LOCAL mode ignores resource requests (its
 * actor creation never reads them and every actor shares this JVM), so GPUs are refused there
 * rather than silently not reserved.
 *
 * <p>In LOCAL mode every call runs alone: Ray 2.39's LOCAL task executor keeps the current actor
 * in one field shared by all actor threads, so overlapping calls or creations can run a method on
 * another actor's object or on none (a NullPointerException in {@code Method.invoke}). LOCAL mode
 * is for tests and small runs; {@link dev.revise.rl.rollout.LocalRolloutSource} is the parallel
 * single-JVM path.
 */
public final class RayRolloutSource implements RolloutSource {
    private static final Logger LOG = LoggerFactory.getLogger(RayRolloutSource.class);

    private final String specJson;
    private final Policy learnerPolicy;
    private final int tasksPerUnit;
    private final int maxRetries;
    private final Map<String, Double> resources;
    private final List<ActorHandle<RolloutActor>> actors = new ArrayList<>();
    private final long[] actorVersions;
    private final int[] incarnations;
    private final boolean serial;

    /** CPU actors with no resource reservation. */
    public RayRolloutSource(RolloutSpec spec, Policy learnerPolicy, int actors, int tasksPerUnit, int maxRetries) {
        this(spec, learnerPolicy, actors, tasksPerUnit, maxRetries, WorkerResources.NONE);
    }

    public RayRolloutSource(
            RolloutSpec spec,
            Policy learnerPolicy,
            int actors,
            int tasksPerUnit,
            int maxRetries,
            WorkerResources resources) {
        if (actors < 1 || tasksPerUnit < 1 || maxRetries < 0) {
            throw new IllegalArgumentException("rollout.workers and rollout.tasks_per_unit must be >= 1, "
                    + "rollout.max_retries >= 0; got " + actors + ", " + tasksPerUnit + ", " + maxRetries);
        }
        boolean local = Ray.getRuntimeContext().isLocalMode();
        this.serial = local;
        RolloutSpec actorSpec = actorSpec(spec, resources, local);
        if (!local && !resources.asRayResources().isEmpty()) {
            List<Map<String, Double>> nodes = Ray.getRuntimeContext().getAllNodeInfo().stream()
                    .filter(n -> n.isAlive)
                    .map(n -> n.resources)
                    .toList();
            checkCapacity(resources, actors, nodes);
        }
        this.resources = resources.asRayResources();
        this.workerResources = resources;
        try {
            this.specJson = RolloutActor.JSON.writeValueAsString(actorSpec);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("rollout spec cannot be written as JSON: " + e.getMessage(), e);
        }
        this.learnerPolicy = learnerPolicy;
        this.tasksPerUnit = tasksPerUnit;
        this.maxRetries = maxRetries;
        this.actorVersions = new long[actors];
        this.incarnations = new int[actors];
        for (int i = 0; i < actors; i++) {
            this.actors.add(newActor(i));
            actorVersions[i] = -1;
        }
    }

    /**
     * The spec the actors get: GPU actors run on the GPU Ray assigns them ({@code cuda}, keeping
     * the requested dtype); CPU actors keep the spec as it is.
     */
    static RolloutSpec actorSpec(RolloutSpec spec, WorkerResources resources, boolean localMode) {
        if (resources.wantsGpu()) {
            if (localMode) {
                throw new IllegalArgumentException("rollout.gpus_per_worker=" + resources.gpusPerWorker()
                        + " cannot be honoured in Ray LOCAL mode, which ignores resource requests and runs every"
                        + " actor in this JVM: use Ray cluster mode (-Dray.address=<head>:6379, also on a single"
                        + " machine after 'ray start --head --port=6379 --num-gpus=N'), or rollout.gpus_per_worker=0"
                        + " for CPU actors");
            }
            return spec.withDevice(new DeviceSpec("cuda", spec.device().dtype()));
        }
        if (!spec.device().device().equals("cpu")) {
            throw new IllegalArgumentException(
                    "rollout actors on " + spec.device().device() + " need"
                            + " rollout.gpus_per_worker > 0, so that Ray reserves a GPU for each of them");
        }
        return spec;
    }

    /** Fails now rather than leaving actors pending forever for resources the cluster lacks. */
    static void checkCapacity(WorkerResources resources, int actors, List<Map<String, Double>> nodes) {
        int slots = resources.slots(nodes);
        if (slots < actors) {
            throw new IllegalArgumentException("rollout.workers=" + actors + " with " + resources.asRayResources()
                    + " each needs " + actors + " actor slots, but the Ray cluster's alive nodes " + nodes
                    + " hold " + slots + ": add nodes (ray start --address=<head>:6379 --num-gpus=N), or lower"
                    + " rollout.workers, rollout.gpus_per_worker or rollout.cpus_per_worker");
        }
    }

    private ActorHandle<RolloutActor> newActor(int index) {
        var creator = Ray.actor(RolloutActor::new, specJson, index, incarnations[index]);
        if (!resources.isEmpty()) {
            creator.setResources(resources);
        }
        ActorHandle<RolloutActor> actor = creator.remote();
        if (serial) {
            try {
                ObjectRef<String> ready = actor.task(RolloutActor::ready).remote();
                ready.get();
                release(ready);
            } catch (RuntimeException e) {
                throw new IllegalStateException(
                        "rollout actor " + index + " could not be created; cause: " + rootCause(e), e);
            }
        }
        return actor;
    }

    private double lastPutSeconds;
    private double lastSyncSeconds;
    private long lastSyncBytes;
    private java.util.function.Supplier<byte[]> baseSnapshot; // a LoRA run's frozen base, else null
    private ObjectRef<byte[]> baseRef;
    private long putVersion = -1; // the version of the last snapshot put, kept for retries
    private ObjectRef<byte[]> putRef;

    /**
     * Actors that train a LoRA adapter: each new actor loads {@code base} (put once) with its first
     * adapter; later versions ship the adapter only ({@link Policy#snapshot()}).
     */
    public RayRolloutSource withBase(java.util.function.Supplier<byte[]> base) {
        this.baseSnapshot = base;
        return this;
    }

    /**
     * {@code perf/weight_sync_s}: seconds the last collection spent bringing every actor to the
     * learner's version (0 when none was stale), of which {@code perf/weight_put_s} the one
     * {@code Ray.put} of the snapshot.
     */
    @Override
    public Map<String, Double> lastCollectMetrics() {
        return Map.of(
                "perf/weight_sync_s",
                lastSyncSeconds,
                "perf/weight_put_s",
                lastPutSeconds,
                "perf/weight_sync_bytes",
                (double) lastSyncBytes);
    }

    private final WorkerResources workerResources;

    @Override
    public List<Rollout> collect(RolloutRequest request) {
        return begin(request).await();
    }

    /**
     * Brings every actor to the learner's version and submits the request's units, then returns:
     * the actors sample while the caller goes on (the learner's update, with {@code
     * rollout.overlap: 1}). A unit retried after the learner moved on is sampled again with the
     * version it began with (its snapshot stays in the object store until the next version's put).
     */
    @Override
    public InFlight begin(RolloutRequest request) {
        long syncStarted = System.nanoTime();
        lastPutSeconds = 0;
        lastSyncBytes = 0;
        long version = learnerPolicy.version();
        syncWeights(version);
        lastSyncSeconds = (System.nanoTime() - syncStarted) / 1e9;
        Map<String, Double> metrics = lastCollectMetrics();
        List<RolloutRequest> units = new ArrayList<>();
        for (int from = 0; from < request.tasks().size(); from += tasksPerUnit) {
            List<Task> tasks =
                    request.tasks().subList(from, Math.min(request.tasks().size(), from + tasksPerUnit));
            units.add(new RolloutRequest(
                    tasks, request.groupSize(), request.rootSeed(), request.iteration(), request.sampling()));
        }
        List<ObjectRef<String>> refs = new ArrayList<>(Collections.nCopies(units.size(), null));
        if (!serial) {
            for (int u = 0; u < units.size(); u++) {
                refs.set(u, submit(u % actors.size(), units.get(u)));
            }
        }
        List<Rollout> serialOut = serial ? gather(units, refs, version) : null;
        return new InFlight() {
            @Override
            public List<Rollout> await() {
                return serialOut != null ? serialOut : gather(units, refs, version);
            }

            @Override
            public Map<String, Double> metrics() {
                return metrics;
            }
        };
    }

    private List<Rollout> gather(List<RolloutRequest> units, List<ObjectRef<String>> refs, long version) {
        List<Rollout> out = new ArrayList<>();
        for (int u = 0; u < units.size(); u++) {
            if (serial) {
                refs.set(u, submit(u % actors.size(), units.get(u)));
            }
            out.addAll(resultWithRetries(u, units, refs, version));
        }
        return out;
    }

    private ObjectRef<String> submit(int actor, RolloutRequest unit) {
        try {
            return actors.get(actor)
                    .task(RolloutActor::collect, RolloutActor.JSON.writeValueAsString(unit))
                    .remote();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private List<Rollout> resultWithRetries(
            int unitIndex, List<RolloutRequest> units, List<ObjectRef<String>> refs, long version) {
        int actor = unitIndex % actors.size();
        RolloutRequest unit = units.get(unitIndex);
        for (int attempt = 0; ; attempt++) {
            try {
                if (attempt > 0) {
                    replace(actor, unitIndex, units, refs, version);
                }
                String result = refs.get(unitIndex).get();
                release(refs.get(unitIndex));
                return RolloutActor.JSON.readValue(result, new TypeReference<List<Rollout>>() {});
            } catch (RuntimeException | com.fasterxml.jackson.core.JsonProcessingException e) {
                if (attempt >= maxRetries) {
                    throw new IllegalStateException(
                            "rollout actor " + actor + " failed on unit " + unitIndex + " (tasks "
                                    + unit.tasks().get(0).id() + "...) after " + (attempt + 1) + " attempts; cause: "
                                    + rootCause(e),
                            e);
                }
                LOG.warn(
                        "rollout actor {} failed on unit {} ({}); replacing it ({} of {})",
                        actor,
                        unitIndex,
                        rootCause(e),
                        attempt + 1,
                        maxRetries);
            }
        }
    }

    /** A new actor in slot {@code actor}, with the learner's weights, running the unit again. */
    private void replace(
            int actor, int unitIndex, List<RolloutRequest> units, List<ObjectRef<String>> refs, long version) {
        boolean killed = kill(actors.get(actor));
        incarnations[actor]++;
        actorVersions[actor] = -1;
        IllegalStateException failed = new IllegalStateException("unit " + unitIndex + " failed");
        ensureCapacity(actor, failed);
        actors.set(actor, replacement(actor, failed));
        syncWeights(version);
        refs.set(unitIndex, submit(actor, units.get(unitIndex)));
        if (killed) {
            // the killed actor's queued units would fail too, costing them retries they did not earn
            for (int later = unitIndex + actors.size(); later < units.size(); later += actors.size()) {
                if (refs.get(later) != null) {
                    refs.set(later, submit(actor, units.get(later)));
                }
            }
        }
    }

    /**
     * Pushes the learner's weights to every actor whose copy is older: one {@code Ray.put} of the
     * snapshot per version, which every actor reads from the object store (not a copy per actor). An
     * actor that dies while loading is replaced and loaded again, up to {@code maxRetries} times.
     */
    private void syncWeights(long version) {
        ObjectRef<byte[]> snapshot = version == putVersion ? putRef : null;
        for (int attempt = 0; ; attempt++) {
            Map<Integer, ObjectRef<String>> pending = new java.util.LinkedHashMap<>();
            for (int i = 0; i < actors.size(); i++) {
                if (actorVersions[i] != version) {
                    if (snapshot == null) {
                        long started = System.nanoTime();
                        if (version != learnerPolicy.version()) {
                            throw new IllegalStateException("weights of version " + version + " are gone (the"
                                    + " learner is at " + learnerPolicy.version() + ")");
                        }
                        byte[] bytes = learnerPolicy.snapshot();
                        if (putRef != null) {
                            release(putRef); // every actor has loaded it: versions only move forward
                        }
                        snapshot = Ray.put(bytes);
                        putVersion = version;
                        putRef = snapshot;
                        lastPutSeconds = (System.nanoTime() - started) / 1e9;
                        lastSyncBytes = bytes.length;
                    }
                    boolean needsBase = baseSnapshot != null && actorVersions[i] < 0;
                    if (needsBase && baseRef == null) {
                        // the frozen base of a LoRA run: put once for the whole run, read by every new actor
                        baseRef = Ray.put(baseSnapshot.get());
                    }
                    pending.put(
                            i,
                            needsBase
                                    ? actors.get(i)
                                            .task(RolloutActor::loadAll, baseRef, snapshot, version)
                                            .remote()
                                    : actors.get(i)
                                            .task(RolloutActor::loadWeights, snapshot, version)
                                            .remote());
                    if (serial) {
                        awaitWeights(i, pending.remove(i), version, attempt);
                    }
                }
            }
            for (Map.Entry<Integer, ObjectRef<String>> e : pending.entrySet()) {
                awaitWeights(e.getKey(), e.getValue(), version, attempt);
            }
            boolean all = true;
            for (int i = 0; i < actors.size(); i++) {
                all &= actorVersions[i] == version;
            }
            if (all) {
                return;
            }
        }
    }

    /** Seconds the last weight snapshot took to reach the object store. */
    double lastPutSeconds() {
        return lastPutSeconds;
    }

    /** Waits for one actor's load; a failed one is replaced (its version left stale) or, past the retries, fatal. */
    private void awaitWeights(int actor, ObjectRef<String> ref, long version, int attempt) {
        try {
            ref.get();
            release(ref);
            actorVersions[actor] = version;
        } catch (RuntimeException e) {
            if (attempt >= maxRetries) {
                throw new IllegalStateException(
                        "rollout actor " + actor + " failed to load weights version " + version + " after "
                                + (attempt + 1) + " attempts; cause: " + rootCause(e),
                        e);
            }
            LOG.warn(
                    "rollout actor {} failed to load weights version {} ({}); replacing it",
                    actor,
                    version,
                    rootCause(e));
            kill(actors.get(actor));
            incarnations[actor]++;
            actorVersions[actor] = -1;
            ensureCapacity(actor, e);
            actors.set(actor, replacement(actor, e));
        }
    }

    /** How long a replacement actor may take to start before the run stops (a JVM starts in seconds). */
    static final long REPLACEMENT_START_MS = 120_000;

    /**
     * A new actor in slot {@code actor}, started: the head may not have noticed a dead node yet, so
     * the capacity check can pass while no node can take the actor; it would wait forever.
     */
    private ActorHandle<RolloutActor> replacement(int actor, Throwable cause) {
        for (int attempt = 0; ; attempt++) {
            ActorHandle<RolloutActor> a = newActor(actor);
            if (serial) {
                return a;
            }
            try {
                awaitStart(a, actor, cause);
                return a;
            } catch (io.ray.api.exception.RayTimeoutException e) {
                kill(a);
                List<String> dead = Ray.getRuntimeContext().getAllNodeInfo().stream()
                        .filter(n -> !n.isAlive)
                        .map(n -> n.nodeId + " at " + n.nodeAddress)
                        .toList();
                throw new IllegalStateException(
                        "rollout actor " + actor + " died (" + rootCause(cause) + ") and cannot be"
                                + " replaced: its replacement did not start within "
                                + REPLACEMENT_START_MS / 1000 + " s, so no alive node can take an actor needing "
                                + workerResources.asRayResources() + "; dead nodes: "
                                + dead,
                        e);
            } catch (IllegalStateException noCapacity) {
                throw noCapacity;
            } catch (RuntimeException e) {
                // placed on a node the head has not yet marked dead: it dies too; try again
                kill(a);
                incarnations[actor]++;
                if (attempt >= maxRetries) {
                    throw new IllegalStateException(
                            "rollout actor " + actor + " could not be replaced after " + (attempt + 1)
                                    + " attempts; cause: " + rootCause(e),
                            e);
                }
                LOG.warn("the replacement of rollout actor {} died ({}); trying again", actor, rootCause(e));
            }
        }
    }

    /**
     * Waits for a new actor to start, checking the capacity again every few seconds: the head marks a
     * dead node after its heartbeat timeout, and from then on the run can stop at once, naming it.
     */
    private void awaitStart(ActorHandle<RolloutActor> a, int actor, Throwable cause) {
        ObjectRef<String> ready = a.task(RolloutActor::ready).remote();
        long deadline = System.nanoTime() + REPLACEMENT_START_MS * 1_000_000;
        while (true) {
            long leftMs = (deadline - System.nanoTime()) / 1_000_000;
            try {
                ready.get(Math.max(1, Math.min(CAPACITY_POLL_MS, leftMs)));
                return;
            } catch (io.ray.api.exception.RayTimeoutException e) {
                if (leftMs <= CAPACITY_POLL_MS) {
                    throw e;
                }
                try {
                    ensureCapacity(actor, cause);
                } catch (IllegalStateException noCapacity) {
                    kill(a);
                    throw noCapacity;
                }
            }
        }
    }

    private static final long CAPACITY_POLL_MS = 2_000;

    /**
     * Before an actor is replaced: whether the alive nodes can still hold every actor. Otherwise the
     * replacement would wait for resources forever; the error names the dead nodes and the actor.
     */
    private void ensureCapacity(int actor, Throwable cause) {
        if (serial) {
            return;
        }
        var all = Ray.getRuntimeContext().getAllNodeInfo();
        List<Map<String, Double>> alive =
                all.stream().filter(n -> n.isAlive).map(n -> n.resources).toList();
        int slots = workerResources.asRayResources().isEmpty() ? Integer.MAX_VALUE : workerResources.slots(alive);
        boolean anyCpu = alive.stream().anyMatch(r -> r.getOrDefault("CPU", 0.0) > 0);
        if (slots < actors.size() || !anyCpu) {
            List<String> dead = all.stream()
                    .filter(n -> !n.isAlive)
                    .map(n -> n.nodeId + " at " + n.nodeAddress + " " + n.resources)
                    .toList();
            throw new IllegalStateException("rollout actor " + actor + " died (" + rootCause(cause) + ") and cannot be"
                    + " replaced: the alive nodes hold " + (anyCpu ? slots : 0) + " of the " + actors.size()
                    + " actors needing " + workerResources.asRayResources() + " each; dead nodes: " + dead);
        }
    }

    /** The innermost exception, which is the actor's own error under Ray's wrappers. */
    static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.toString();
    }

    // a failing actor may still be alive and holding its GPU, which its replacement needs
    private static boolean kill(ActorHandle<RolloutActor> a) {
        try {
            a.kill();
            return true;
        } catch (UnsupportedOperationException localMode) {
            // LOCAL mode cannot kill actors: they end with Ray.shutdown()
            return false;
        }
    }

    @Override
    public void close() {
        actors.forEach(RayRolloutSource::kill);
        actors.clear();
        if (putRef != null) {
            release(putRef);
            putRef = null;
        }
        if (baseRef != null) {
            release(baseRef);
            baseRef = null;
        }
    }

    /**
     * Drops an object this source is done with. Ray's LOCAL mode keeps every object (puts, task
     * returns) until it is deleted explicitly: its reference counting is a no-op, which grew the heap
     * by a weight snapshot per update (+600 MB per 100 updates of smoke.yaml, seen by
     * tools/soak/soak.py). A cluster counts references itself.
     */
    private static void release(ObjectRef<?> ref) {
        if (Ray.getRuntimeContext().isLocalMode()) {
            Ray.internal().free(List.of(ref), true);
        }
    }
}
