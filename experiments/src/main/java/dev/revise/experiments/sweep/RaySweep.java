package dev.revise.experiments.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.experiments.config.ConfigTree;
import dev.revise.experiments.preemption.Preempted;
import dev.revise.experiments.preemption.Preemption;
import dev.revise.experiments.ray.RolloutActor;
import dev.revise.experiments.ray.WorkerResources;
import dev.revise.experiments.train.AlgorithmSpec;
import dev.revise.policies.DeviceSpec;
import io.ray.api.ObjectRef;
import io.ray.api.Ray;
import io.ray.api.WaitResult;
import io.ray.api.call.TaskCaller;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sweep members as Ray tasks: each run trains inside a Ray worker that reserves the run's
 * resources (a GPU for its learner, CPUs), so on a cluster the runs themselves spread over the
 * nodes, and the rollout actors each run creates go with them. The worker decides itself whether
 * to start, resume or skip ({@link Sweep#trainOne}), so running the sweep again after a failure
 * continues each run from what its failed attempt checkpointed. A learner on {@code cuda} trains on
 * the GPU Ray reserved for its task.
 * The config file and the sweep directory must be at the same path on every node (a shared
 * filesystem): workers write the checkpoints.
 *
 * <p>Public because cluster workers look the task function up by reflection. Ray must be
 * initialised by the caller. In LOCAL mode every task runs in this JVM, one at a
 * time (one gradient tape per JVM), and GPU requests are refused rather than silently not
 * reserved, as for rollout actors.
 */
public final class RaySweep {
    private static final Logger LOG = LoggerFactory.getLogger(RaySweep.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a task is sent: JSON, as everything crossing Ray. */
    record Request(String config, Sweep.Run run, String stopFile) {}

    /** A task's result when the sweep's stop file stopped it (checkpointed), before the run directory. */
    static final String STOPPED = "stopped:";

    private RaySweep() {}

    static void runAll(List<Sweep.Child> children, int parallel, WorkerResources resources, Consumer<String> log) {
        if (!Ray.isInitialized()) {
            throw new IllegalStateException("a sweep on Ray needs Ray initialised (RayRuntime.start)");
        }
        boolean local = Ray.getRuntimeContext().isLocalMode();
        if (local && resources.wantsGpu()) {
            throw new IllegalArgumentException(
                    "--run-gpus " + resources.gpusPerWorker() + " cannot be honoured in Ray LOCAL"
                            + " mode, which ignores resource requests: connect to a cluster (--ray-address) or drop it");
        }
        if (children.isEmpty()) {
            return;
        }
        int inFlight = local ? 1 : parallel;
        // a stop signal: the tasks (in other JVMs) see the stop file, checkpoint and return; none start
        Path stopFile = Sweep.stopFile(children.get(0).sweepDir());
        Consumer<Preemption.Stop> stopTasks = stop -> {
            try {
                Preemption.writeStopFile(stopFile, stop);
                log.accept("sweep: " + stop.signal() + ": asked the running tasks to stop at their next checkpoint ("
                        + stopFile + "); no new ones start");
            } catch (IOException e) {
                log.accept("sweep: " + stop.signal() + ": could not write " + stopFile + ": " + e.getMessage());
            }
        };
        Preemption.onSignal(stopTasks);
        try {
            runAll(children, inFlight, resources, log, stopFile);
        } finally {
            Preemption.removeSignalListener(stopTasks);
        }
    }

    private static void runAll(
            List<Sweep.Child> children, int inFlight, WorkerResources resources, Consumer<String> log, Path stopFile) {
        Deque<Sweep.Child> queue = new ArrayDeque<>(children);
        Map<ObjectRef<String>, Sweep.Child> running = new LinkedHashMap<>();
        Map<Sweep.Child, Long> totals = new LinkedHashMap<>(); // resolved once: the file may change meanwhile
        List<String> failures = new ArrayList<>();
        while (!running.isEmpty() || (!queue.isEmpty() && Preemption.signalled() == null)) {
            while (running.size() < inFlight && !queue.isEmpty() && Preemption.signalled() == null) {
                Sweep.Child c = queue.poll();
                totals.put(
                        c,
                        AlgorithmSpec.read(
                                        ConfigTree.resolve(c.config(), c.run().overrides()))
                                .updates());
                running.put(submit(c, resources), c);
            }
            WaitResult<String> ready = Ray.wait(new ArrayList<>(running.keySet()), 1, PROGRESS_EVERY_MS);
            if (ready.getReady().isEmpty()) {
                // the runs train on other nodes: their metrics.jsonl (shared filesystem) tells how far
                for (Sweep.Child c : running.values()) {
                    log.accept(progress(c, totals.get(c)));
                }
                continue;
            }
            for (ObjectRef<String> done : ready.getReady()) {
                Sweep.Child c = running.remove(done);
                String what = c.run().variant() + " seed " + c.run().seedIndex();
                try {
                    boolean stopped = done.get().startsWith(STOPPED);
                    log.accept("sweep: " + what + (stopped ? ": stopped, checkpointed" : ": done"));
                } catch (RuntimeException e) {
                    Throwable cause = e;
                    while (cause.getCause() != null && cause.getCause() != cause) {
                        cause = cause.getCause();
                    }
                    log.accept("sweep: " + what + ": failed (" + cause + ")");
                    failures.add(what + " (" + cause + ")");
                }
            }
        }
        Sweep.stopIfSignalled("tasks", failures);
        if (!failures.isEmpty()) {
            throw new IllegalStateException("sweep: " + failures.size() + " run(s) failed on Ray: "
                    + String.join("; ", failures) + " (run the sweep again to retry them)");
        }
    }

    /** How often the driver reports the progress of the runs in flight. */
    static final int PROGRESS_EVERY_MS = 60_000;

    /** "sweep: <variant> seed k step s/total" from the run's metrics.jsonl, as far as it has got. */
    static String progress(Sweep.Child c, long total) {
        Sweep.Run r = c.run();
        String what = "sweep: " + r.variant() + " seed " + r.seedIndex();
        long step = lastStep(Path.of(r.dir()).resolve("metrics.jsonl"));
        if (step < 0) {
            return what + ": starting";
        }
        return what + " step " + step + "/" + total;
    }

    /** The step of the last complete line of a metrics.jsonl, or -1 when there is none (read from the end). */
    static long lastStep(Path metrics) {
        if (!Files.isRegularFile(metrics)) {
            return -1;
        }
        try (RandomAccessFile f = new RandomAccessFile(metrics.toFile(), "r")) {
            long length = f.length();
            int tail = (int) Math.min(length, 64 * 1024);
            byte[] bytes = new byte[tail];
            f.seek(length - tail);
            f.readFully(bytes);
            String text = new String(bytes, StandardCharsets.UTF_8);
            int end = text.lastIndexOf('\n');
            if (end < 0) {
                return -1; // no complete line yet
            }
            int start = text.lastIndexOf('\n', end - 1) + 1;
            if (start == 0 && length > tail) {
                return -1; // a last line longer than the tail: unknown rather than misread
            }
            JsonNode step = JSON.readTree(text.substring(start, end)).get("step");
            return step == null ? -1 : step.asLong();
        } catch (IOException | RuntimeException e) {
            return -1; // a progress line only: the run's own checks report real problems
        }
    }

    private static ObjectRef<String> submit(Sweep.Child c, WorkerResources resources) {
        Sweep.Run r = c.run();
        Sweep.Run absolute = new Sweep.Run(
                r.variant(),
                r.seedIndex(),
                r.seed(),
                absolutePaths(r.overrides()),
                Path.of(r.dir()).toAbsolutePath().toString());
        String request;
        try {
            request = JSON.writeValueAsString(new Request(
                    c.config().toAbsolutePath().toString(),
                    absolute,
                    Sweep.stopFile(c.sweepDir()).toAbsolutePath().toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TaskCaller<String> call = Ray.task(RaySweep::train, request)
                .setName("revise sweep " + r.variant() + " seed " + r.seedIndex()); // as the dashboard shows it
        resources.asRayResources().forEach(call::setResource);
        return call.remote();
    }

    /**
     * Overrides of path keys made absolute against this (the driver's) working directory: a
     * cluster worker runs elsewhere. Paths in the config file are already relative to the file.
     */
    static List<String> absolutePaths(List<String> overrides) {
        List<String> out = new ArrayList<>(overrides.size());
        for (String o : overrides) {
            int eq = o.indexOf('=');
            String value = eq < 0 ? "" : unquoted(o.substring(eq + 1).strip());
            String key = eq > 0 ? o.substring(0, eq).strip() : "";
            if (ConfigTree.PATH_KEYS.contains(key)
                    && !key.equals("rollout.code_search_path") // a search path: the cluster's own
                    && ConfigTree.looksLikePath(value)
                    && !Path.of(value).isAbsolute()) {
                // JSON-quoted (JSON is YAML): a directory name with ": " or " #" stays one string
                out.add(o.substring(0, eq + 1)
                        + quoted(Path.of(value).toAbsolutePath().normalize().toString()));
            } else {
                out.add(o);
            }
        }
        return out;
    }

    /** A YAML scalar's text without its surrounding quotes, as {@code --set} reads it. */
    private static String unquoted(String v) {
        if (v.length() >= 2 && ((v.startsWith("\"") && v.endsWith("\"")) || (v.startsWith("'") && v.endsWith("'")))) {
            return v.substring(1, v.length() - 1);
        }
        return v;
    }

    private static String quoted(String v) {
        try {
            return JSON.writeValueAsString(v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The Ray task: trains one run in this worker. Public for Ray's function lookup. */
    public static String train(String requestJson) throws IOException {
        Request q = JSON.readValue(requestJson, Request.class);
        Sweep.Run r = withAssignedGpu(q.run(), Path.of(q.config()));
        LOG.info("sweep task: {} seed {} into {}", r.variant(), r.seedIndex(), r.dir());
        try {
            Sweep.trainOne(
                    Path.of(q.config()),
                    r,
                    p -> {
                        if (p.step() % 10 == 0 || p.step() == p.total()) {
                            LOG.info(
                                    "sweep task: {} seed {} step {}/{}",
                                    r.variant(),
                                    r.seedIndex(),
                                    p.step(),
                                    p.total());
                        }
                    },
                    Path.of(q.stopFile()));
        } catch (Preempted e) {
            LOG.info("sweep task: {} seed {}: {}", r.variant(), r.seedIndex(), e.getMessage());
            return STOPPED + r.dir();
        }
        return r.dir();
    }

    /**
     * A learner on {@code cuda} or {@code cuda:N} trains on the GPU Ray reserved for this task
     * ({@code --run-gpus}): Ray's Java workers see every GPU of the node, so the ordinal comes from
     * the task's GPU ids, as for rollout actors. CPU runs and tasks without GPUs are left alone.
     */
    static Sweep.Run withAssignedGpu(Sweep.Run r, Path config) {
        if (Ray.getRuntimeContext().isLocalMode()) {
            return r;
        }
        List<Long> gpus = Ray.getRuntimeContext().getGpuIds();
        String device = ConfigTree.resolve(config, r.overrides()).string("run.device");
        if (gpus == null || gpus.isEmpty() || !device.startsWith("cuda")) {
            return r;
        }
        String assigned = RolloutActor.resolveDevice(
                        new DeviceSpec("cuda", "float32"), gpus, System.getenv("CUDA_VISIBLE_DEVICES"))
                .device();
        List<String> overrides = new ArrayList<>(r.overrides());
        overrides.add("run.device=" + assigned);
        LOG.info("sweep task: {} seed {} trains on {} (Ray GPU ids {})", r.variant(), r.seedIndex(), assigned, gpus);
        return new Sweep.Run(r.variant(), r.seedIndex(), r.seed(), overrides, r.dir());
    }
}
