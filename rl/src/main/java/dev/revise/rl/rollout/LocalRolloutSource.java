package dev.revise.rl.rollout;

import dev.revise.rl.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rollouts on threads of this JVM. Work is cut into fixed units of {@code tasksPerUnit} tasks
 * (each with its G samples) and each unit is generated as one batch, so a unit's batch
 * composition, and with it every float, never depends on the number of workers or on scheduling.
 *
 * <p>A unit whose worker throws is resubmitted to a fresh worker up to {@code maxRetries} times;
 * after that the collection fails naming the worker, the unit and the cause.
 */
public final class LocalRolloutSource implements RolloutSource {
    private static final Logger LOG = LoggerFactory.getLogger(LocalRolloutSource.class);

    private final IntFunction<RolloutWorker> workerFactory;
    private final LongSupplier policyVersion;
    private final int tasksPerUnit;
    private final int maxRetries;
    private final ExecutorService pool;
    private final RolloutWorker[] workers;
    private final ThreadLocal<Integer> slot = new ThreadLocal<>();

    /**
     * @param workerFactory makes worker number i (called again to replace a failed one)
     * @param policyVersion the version recorded on the trajectories
     * @param threads number of worker threads
     * @param tasksPerUnit tasks per generation batch (each with its G samples)
     * @param maxRetries resubmissions of a failed unit before the collection fails
     */
    public LocalRolloutSource(
            IntFunction<RolloutWorker> workerFactory,
            LongSupplier policyVersion,
            int threads,
            int tasksPerUnit,
            int maxRetries) {
        if (threads < 1 || tasksPerUnit < 1 || maxRetries < 0) {
            throw new IllegalArgumentException("rollout.workers and rollout.tasks_per_unit must be >= 1, "
                    + "rollout.max_retries >= 0; got " + threads + ", " + tasksPerUnit + ", " + maxRetries);
        }
        this.workerFactory = workerFactory;
        this.policyVersion = policyVersion;
        this.tasksPerUnit = tasksPerUnit;
        this.maxRetries = maxRetries;
        this.workers = new RolloutWorker[threads];
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "rollout-worker");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public List<Rollout> collect(RolloutRequest request) {
        List<List<Task>> units = new ArrayList<>();
        for (int from = 0; from < request.tasks().size(); from += tasksPerUnit) {
            units.add(request.tasks().subList(from, Math.min(request.tasks().size(), from + tasksPerUnit)));
        }
        long version = policyVersion.getAsLong();
        List<Future<List<Rollout>>> futures = new ArrayList<>();
        for (int u = 0; u < units.size(); u++) {
            RolloutRequest unit = new RolloutRequest(
                    units.get(u), request.groupSize(), request.rootSeed(), request.iteration(), request.sampling());
            int unitIndex = u;
            futures.add(pool.submit(() -> runWithRetries(unit, unitIndex, version)));
        }
        List<Rollout> out = new ArrayList<>();
        for (Future<List<Rollout>> f : futures) {
            try {
                out.addAll(f.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while collecting rollouts", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                throw cause instanceof RuntimeException re ? re : new IllegalStateException(cause);
            }
        }
        return out;
    }

    private List<Rollout> runWithRetries(RolloutRequest unit, int unitIndex, long version) {
        int worker = workerSlot();
        for (int attempt = 0; ; attempt++) {
            try {
                return worker(worker).run(unit, version);
            } catch (RuntimeException e) {
                if (attempt >= maxRetries) {
                    throw new IllegalStateException(
                            "rollout worker " + worker + " failed on unit " + unitIndex + " (tasks "
                                    + unit.tasks().get(0).id() + "...) after " + (attempt + 1) + " attempts: " + e,
                            e);
                }
                LOG.warn(
                        "rollout worker {} failed on unit {} ({}); replacing it and retrying ({} of {})",
                        worker,
                        unitIndex,
                        e.toString(),
                        attempt + 1,
                        maxRetries);
                synchronized (workers) {
                    workers[worker] = workerFactory.apply(worker);
                }
            }
        }
    }

    private int workerSlot() {
        Integer s = slot.get();
        if (s == null) {
            synchronized (workers) {
                int i = 0;
                while (i < workers.length && workers[i] != null) {
                    i++;
                }
                s = Math.min(i, workers.length - 1);
                workers[s] = workerFactory.apply(s);
            }
            slot.set(s);
        }
        return s;
    }

    private RolloutWorker worker(int i) {
        synchronized (workers) {
            return workers[i];
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
