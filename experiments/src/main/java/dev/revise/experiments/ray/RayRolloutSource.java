package dev.revise.experiments.ray;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.revise.rl.Policy;
import dev.revise.rl.Task;
import dev.revise.rl.rollout.Rollout;
import dev.revise.rl.rollout.RolloutRequest;
import dev.revise.rl.rollout.RolloutSource;
import io.ray.api.ActorHandle;
import io.ray.api.ObjectRef;
import io.ray.api.Ray;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rollouts on Ray actors, each holding its own policy copy. Work is cut into the same fixed units
 * as {@link dev.revise.rl.rollout.LocalRolloutSource} (tasksPerUnit tasks each), so local and Ray
 * runs with the same root seed produce the same rollouts. Weights are pushed as one byte[]
 * snapshot per actor only when the learner's policy version changed. A unit whose actor fails is
 * resubmitted to a new actor up to {@code maxRetries} times; then the collection fails naming the
 * actor and the cause. Ray must be initialised by the caller (LOCAL mode needs no installation).
 */
public final class RayRolloutSource implements RolloutSource {
    private static final Logger LOG = LoggerFactory.getLogger(RayRolloutSource.class);

    private final String specJson;
    private final Policy learnerPolicy;
    private final int tasksPerUnit;
    private final int maxRetries;
    private final List<ActorHandle<RolloutActor>> actors = new ArrayList<>();
    private final long[] actorVersions;

    public RayRolloutSource(RolloutSpec spec, Policy learnerPolicy, int actors, int tasksPerUnit, int maxRetries) {
        if (actors < 1 || tasksPerUnit < 1 || maxRetries < 0) {
            throw new IllegalArgumentException(
                    "rollout.workers and rollout.tasks_per_unit must be >= 1, " + "rollout.max_retries >= 0");
        }
        try {
            this.specJson = RolloutActor.JSON.writeValueAsString(spec);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("rollout spec cannot be written as JSON: " + e.getMessage(), e);
        }
        this.learnerPolicy = learnerPolicy;
        this.tasksPerUnit = tasksPerUnit;
        this.maxRetries = maxRetries;
        this.actorVersions = new long[actors];
        for (int i = 0; i < actors; i++) {
            this.actors.add(newActor());
            actorVersions[i] = -1;
        }
    }

    private ActorHandle<RolloutActor> newActor() {
        return Ray.actor(RolloutActor::new, specJson).remote();
    }

    @Override
    public List<Rollout> collect(RolloutRequest request) {
        syncWeights();
        List<RolloutRequest> units = new ArrayList<>();
        for (int from = 0; from < request.tasks().size(); from += tasksPerUnit) {
            List<Task> tasks =
                    request.tasks().subList(from, Math.min(request.tasks().size(), from + tasksPerUnit));
            units.add(new RolloutRequest(
                    tasks, request.groupSize(), request.rootSeed(), request.iteration(), request.sampling()));
        }
        List<ObjectRef<String>> refs = new ArrayList<>();
        for (int u = 0; u < units.size(); u++) {
            refs.add(submit(u % actors.size(), units.get(u)));
        }
        List<Rollout> out = new ArrayList<>();
        for (int u = 0; u < units.size(); u++) {
            out.addAll(resultWithRetries(u, units.get(u), refs.get(u)));
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

    private List<Rollout> resultWithRetries(int unitIndex, RolloutRequest unit, ObjectRef<String> ref) {
        int actor = unitIndex % actors.size();
        for (int attempt = 0; ; attempt++) {
            try {
                return RolloutActor.JSON.readValue(ref.get(), new TypeReference<List<Rollout>>() {});
            } catch (RuntimeException | com.fasterxml.jackson.core.JsonProcessingException e) {
                if (attempt >= maxRetries) {
                    throw new IllegalStateException(
                            "rollout actor " + actor + " failed on unit " + unitIndex + " after " + (attempt + 1)
                                    + " attempts: " + e,
                            e);
                }
                LOG.warn(
                        "rollout actor {} failed on unit {} ({}); replacing it ({} of {})",
                        actor,
                        unitIndex,
                        e.toString(),
                        attempt + 1,
                        maxRetries);
                actors.set(actor, newActor());
                actorVersions[actor] = -1;
                syncWeights();
                ref = submit(actor, unit);
            }
        }
    }

    /** Pushes the learner's weights to every actor whose copy is older. */
    private void syncWeights() {
        long version = learnerPolicy.version();
        byte[] snapshot = null;
        List<ObjectRef<String>> pending = new ArrayList<>();
        for (int i = 0; i < actors.size(); i++) {
            if (actorVersions[i] != version) {
                if (snapshot == null) {
                    snapshot = learnerPolicy.snapshot();
                }
                pending.add(actors.get(i)
                        .task(RolloutActor::loadWeights, snapshot, version)
                        .remote());
                actorVersions[i] = version;
            }
        }
        pending.forEach(ObjectRef::get);
    }

    @Override
    public void close() {
        for (ActorHandle<RolloutActor> a : actors) {
            try {
                a.kill();
            } catch (UnsupportedOperationException localMode) {
                // LOCAL mode cannot kill actors: they end with Ray.shutdown()
            }
        }
        actors.clear();
    }
}
