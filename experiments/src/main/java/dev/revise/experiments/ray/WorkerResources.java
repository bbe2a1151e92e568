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
 */
public record WorkerResources(double gpusPerWorker, double cpusPerWorker) {
    public static final WorkerResources NONE = new WorkerResources(0, 0);

    public WorkerResources {
        check("rollout.gpus_per_worker", gpusPerWorker);
        check("rollout.cpus_per_worker", cpusPerWorker);
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
