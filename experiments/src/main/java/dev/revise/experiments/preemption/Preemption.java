package dev.revise.experiments.preemption;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import sun.misc.Signal;

/**
 * Stopping a run cleanly when it is preempted. Schedulers send SIGTERM and SIGKILL a grace period
 * later (Slurm, Kubernetes, spot instances); a user presses Ctrl-C (SIGINT). With the handlers
 * installed ({@link #installSignalHandlers}, by the commands that train) a signal only records
 * a {@link Stop}. The training loop asks {@link #requested()} after each update: it checkpoints,
 * flushes its metrics and ends with {@link Preempted}, whose exit status is 128 + the signal's
 * number (143, 130), so {@code --resume} continues bit-identically.
 *
 * <p>The update in flight (rollouts, learner step, a scheduled evaluation) is finished if it ends
 * within {@code checkpoint.signal_grace_s} of the signal; past that the JVM halts with the same
 * status, abandoning the update (the previous checkpoint stays the one to resume from), so the
 * scheduler's SIGKILL never lands during a checkpoint write that was started too late. A
 * checkpoint being written is never abandoned: it is atomic, and the grace only bounds updates.
 *
 * <p>A stop file is the same request without a signal, for runs that train where no signal
 * reaches them (a sweep's Ray tasks): its content names the signal the sweep's driver received.
 */
public final class Preemption implements AutoCloseable {
    /** What asked the run to stop, and the exit status that reports it. */
    public record Stop(String signal, int exitStatus) {
        public static Stop of(String name) {
            return switch (name) {
                case "SIGINT" -> new Stop(name, 130);
                case "SIGTERM" -> new Stop(name, 143);
                default -> throw new IllegalArgumentException("not a stop signal: " + name);
            };
        }
    }

    private static final AtomicReference<Stop> SIGNALLED = new AtomicReference<>();
    private static final List<Consumer<Stop>> LISTENERS = new ArrayList<>();
    private static boolean installed;

    /**
     * Makes SIGTERM and SIGINT record a stop instead of ending this JVM. Idempotent. Only for a
     * process that polls: without a loop asking {@link #requested()}, the JVM would ignore them.
     */
    public static synchronized void installSignalHandlers() {
        if (installed) {
            return;
        }
        for (String name : List.of("TERM", "INT")) {
            Signal.handle(new Signal(name), s -> {
                Stop stop = Stop.of("SIG" + s.getName());
                List<Consumer<Stop>> notify;
                synchronized (LISTENERS) {
                    if (!SIGNALLED.compareAndSet(null, stop)) {
                        return; // later signals (Ctrl-C reaches a sweep's children from the terminal and forwarded)
                        // change nothing
                    }
                    notify = List.copyOf(LISTENERS);
                }
                notify.forEach(l -> l.accept(stop));
            });
        }
        installed = true;
    }

    /** The first stop signal this JVM received, or null. */
    public static Stop signalled() {
        return SIGNALLED.get();
    }

    /** Calls {@code listener} on the first stop signal (at once if it already came). */
    public static void onSignal(Consumer<Stop> listener) {
        Stop s;
        synchronized (LISTENERS) {
            s = SIGNALLED.get();
            if (s == null) {
                LISTENERS.add(listener);
                return;
            }
        }
        listener.accept(s);
    }

    public static void removeSignalListener(Consumer<Stop> listener) {
        synchronized (LISTENERS) {
            LISTENERS.remove(listener);
        }
    }

    /** Sends {@code stop}'s signal to another process (a child that trains), as the terminal would. */
    public static void forward(Stop stop, ProcessHandle process) {
        if (!process.isAlive()) {
            return;
        }
        try {
            new ProcessBuilder("kill", "-" + stop.signal().substring(3), Long.toString(process.pid()))
                    .start()
                    .waitFor();
        } catch (IOException e) {
            process.destroy(); // no kill(1): SIGTERM
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Writes a stop file that {@link #requested()} of runs watching it reads. */
    public static void writeStopFile(Path file, Stop stop) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, stop.signal() + "\n", StandardCharsets.UTF_8);
    }

    private final double graceSeconds;
    private final Path stopFile;
    private final Consumer<String> log;
    private final ScheduledExecutorService watchdog;
    private Stop stop;
    private long noticedAt;
    private boolean updating = true;

    /**
     * Watches for a stop while a run trains.
     *
     * @param stopFile a file whose existence asks the run to stop, or null
     * @param log where the run says what it does about a stop (stderr)
     */
    public Preemption(double graceSeconds, Path stopFile, Consumer<String> log) {
        this.graceSeconds = graceSeconds;
        this.stopFile = stopFile;
        this.log = log;
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "revise-preemption");
            t.setDaemon(true);
            return t;
        });
        watchdog.scheduleWithFixedDelay(this::watch, 100, 100, TimeUnit.MILLISECONDS);
    }

    /** The stop asked for so far, or null. */
    public synchronized Stop requested() {
        if (stop == null) {
            Stop s = signalled();
            if (s == null && stopFile != null && Files.exists(stopFile)) {
                s = readStopFile();
            }
            if (s != null) {
                stop = s;
                noticedAt = System.nanoTime();
                log.accept(s.signal() + ": finishing the update in flight (abandoned if it takes longer than"
                        + " checkpoint.signal_grace_s = " + graceSeconds + " s), then checkpointing");
            }
        }
        return stop;
    }

    /** Whether an update is in flight (abandoned past the grace) rather than a checkpoint being written. */
    public synchronized void updating(boolean inFlight) {
        updating = inFlight;
    }

    private void watch() {
        synchronized (this) {
            Stop s = requested();
            if (s != null && updating && (System.nanoTime() - noticedAt) / 1e9 > graceSeconds) {
                log.accept(s.signal() + ": the update in flight did not finish within checkpoint.signal_grace_s = "
                        + graceSeconds + " s; abandoning it (the run's latest checkpoint is the one --resume"
                        + " continues from), exit " + s.exitStatus());
                // halt, not exit: under the lock, so no checkpoint write can start meanwhile
                Runtime.getRuntime().halt(s.exitStatus());
            }
        }
    }

    private Stop readStopFile() {
        try {
            String name = Files.readString(stopFile, StandardCharsets.UTF_8).strip();
            return name.equals("SIGINT") ? Stop.of(name) : Stop.of("SIGTERM");
        } catch (IOException e) {
            return Stop.of("SIGTERM"); // it exists: being written or gone again, a stop either way
        }
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
    }
}
