package dev.revise.experiments.preemption;

/**
 * A run (or sweep) stopped by a signal after checkpointing: the command exits with {@link
 * #exitStatus()} (143 for SIGTERM, 130 for SIGINT), and running it again with {@code --resume}
 * (a sweep: the same command) continues where it stopped.
 */
public final class Preempted extends RuntimeException {
    private final Preemption.Stop stop;

    public Preempted(Preemption.Stop stop, String message) {
        super(message);
        this.stop = stop;
    }

    public Preemption.Stop stop() {
        return stop;
    }

    public int exitStatus() {
        return stop.exitStatus();
    }
}
