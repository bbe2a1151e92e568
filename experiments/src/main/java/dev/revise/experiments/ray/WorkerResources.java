package dev.revise.experiments.ray;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Ray resources reserved for each rollout actor. Zero means none is requested (the default: CPU
 * actors with Ray's default scheduling).
 *
 * @param gpusPerWorker GPUs per actor; a fraction (e.g. 0.5) packs several actors on one GPU
 * @param cpusPerWorker CPUs per actor
 * @param custom custom resources per actor ({@code ray start --resources}): an actor goes only to a
 *     node that offers them, which is how a user chooses the nodes
 */
public record WorkerResources(double gpusPerWorker, double cpusPerWorker, Map<String, Double> custom) {
    public static final WorkerResources NONE = new WorkerResources(0, 0);

    public WorkerResources {
        check("rollout.gpus_per_worker", gpusPerWorker);
        check("rollout.cpus_per_worker", cpusPerWorker);
        custom = Map.copyOf(custom);
        for (Map.Entry<String, Double> e : custom.entrySet()) {
            if (e.getKey().equals("GPU")
                    || e.getKey().equals("CPU")
                    || e.getKey().isBlank()) {
                throw new IllegalArgumentException("rollout.resources_per_worker." + e.getKey()
                        + ": GPUs and CPUs have keys of their own (rollout.gpus_per_worker, cpus_per_worker)");
            }
            check("rollout.resources_per_worker." + e.getKey(), e.getValue());
        }
    }

    public WorkerResources(double gpusPerWorker, double cpusPerWorker) {
        this(gpusPerWorker, cpusPerWorker, Map.of());
    }

    // Ray refuses these too, but only when the first actor is created
    private static void check(String key, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(key + " must be >= 0, got " + v);
        }
        if (v > 1 && v != Math.floor(v)) {
            throw new IllegalArgumentException(key + " must be a whole number when above 1 (Ray's rule), got " + v);
        }
    }

    public boolean wantsGpu() {
        return gpusPerWorker > 0;
    }

    /** The map for {@code BaseActorCreator.setResources}; empty when nothing is requested. */
    public Map<String, Double> asRayResources() {
        Map<String, Double> m = new LinkedHashMap<>();
        if (gpusPerWorker > 0) {
            m.put("GPU", gpusPerWorker);
        }
        if (cpusPerWorker > 0) {
            m.put("CPU", cpusPerWorker);
        }
        new java.util.TreeMap<>(custom).forEach((k, v) -> {
            if (v > 0) {
                m.put(k, v);
            }
        });
        return m;
    }

    /**
     * How many actors with these resources fit on nodes with the given total resources: Ray places
     * an actor on one node, so a node with 1 GPU holds 2 actors of 0.5 but none of 2.
     */
    public int slots(List<Map<String, Double>> nodes) {
        long total = 0;
        for (Map<String, Double> node : nodes) {
            long fit = Long.MAX_VALUE;
            for (Map.Entry<String, Double> want : asRayResources().entrySet()) {
                double have = node.getOrDefault(want.getKey(), 0.0);
                fit = Math.min(fit, (long) Math.floor(have / want.getValue() + 1e-9));
            }
            total += fit == Long.MAX_VALUE ? Integer.MAX_VALUE : fit;
        }
        return (int) Math.min(Integer.MAX_VALUE, total);
    }
}
