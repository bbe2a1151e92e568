package dev.revise.experiments.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Objects;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressState;

/**
 * A long command's progress on stderr, drawn by the progressbar library: on a terminal one bar
 * redrawn in place (rate, elapsed, ETA and the key metrics); otherwise (CI, a file, a pipe) plain
 * lines with the same facts, one every {@code revise.progress.interval_ms} (default 10 s) while it advances and
 * one at the end, so logs stay readable. Stdout is never touched: it keeps the command's result.
 */
final class ProgressDisplay implements AutoCloseable {
    /** Lines of the plain mode are at most this wide (no terminal to ask). */
    private static final int PLAIN_WIDTH = 1000;

    private final ProgressBar bar;

    private ProgressDisplay(ProgressBar bar) {
        this.bar = bar;
    }

    /**
     * A display of {@code total} {@code unit}s (total {@code <= 0}: unknown, no ETA) for {@code
     * task}, {@code start} of them done before, as a bar on the terminal when {@code terminal}, else
     * as lines on {@code err}.
     */
    static ProgressDisplay open(String task, long total, long start, String unit, PrintWriter err, boolean terminal) {
        ProgressBarBuilder b = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(total > 0 ? total : -1)
                .startsFrom(start, Duration.ZERO) // a resumed run: rate and ETA from this session's work
                .setUnit(" " + unit, 1)
                .showSpeed()
                .setSpeedUnit(ChronoUnit.SECONDS);
        if (terminal) {
            // the terminal itself, not a writer a test may have swapped in
            b.setUpdateIntervalMillis(500).setConsumer(new ConsoleProgressBarConsumer(System.err));
        } else {
            b.setUpdateIntervalMillis(Integer.getInteger("revise.progress.interval_ms", 10_000))
                    .setRenderer((state, width) -> plain(state, unit))
                    .setConsumer(new DelegatingProgressBarConsumer(new Lines(err), PLAIN_WIDTH));
        }
        return new ProgressDisplay(b.build());
    }

    /** A log line: "train 6/12 updates (50%), 6.0 updates/s, elapsed 0:00:01, eta 0:00:01: metrics". */
    static String plain(ProgressState state, String unit) {
        StringBuilder b = new StringBuilder(state.getTaskName()).append(' ').append(state.getCurrent());
        boolean known = !state.isIndefinite() && state.getMax() > 0;
        if (known) {
            b.append('/').append(state.getMax());
        }
        b.append(' ').append(unit);
        if (known) {
            b.append(String.format(Locale.ROOT, " (%.0f%%)", 100.0 * state.getCurrent() / state.getMax()));
        }
        double seconds = state.getElapsedAfterStart().toMillis() / 1e3;
        double rate = seconds > 0 ? (state.getCurrent() - state.getStart()) / seconds : 0;
        b.append(String.format(Locale.ROOT, ", %.2f %s/s, elapsed %s", rate, unit, clock(state.getTotalElapsed())));
        if (known && rate > 0) {
            b.append(", eta ")
                    .append(clock(Duration.ofMillis((long) ((state.getMax() - state.getCurrent()) / rate * 1e3))));
        }
        String extra = state.getExtraMessage().strip();
        return extra.isEmpty() ? b.toString() : b.append(": ").append(extra).toString();
    }

    private static String clock(Duration d) {
        long s = d.getSeconds();
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }

    /** Whether stderr is a terminal (isatty(2)); without the native check, whether there is a console. */
    static boolean stderrIsTerminal() {
        try {
            return org.jline.nativ.CLibrary.isatty(2) == 1;
        } catch (Throwable e) { // no native library for this platform
            return System.console() != null;
        }
    }

    /** Done so far, and the metrics to show after the rate (empty for none). */
    void update(long done, String metrics) {
        bar.stepTo(done);
        bar.setExtraMessage(metrics.isEmpty() ? "" : " " + metrics);
    }

    @Override
    public void close() {
        bar.close();
    }

    /** Plain mode: each rendered state as its own line, a state already printed (the final one, twice) once. */
    private static final class Lines implements java.util.function.Consumer<String> {
        private final PrintWriter err;
        private String last;

        Lines(PrintWriter err) {
            this.err = err;
        }

        @Override
        public synchronized void accept(String line) {
            String l = line.stripTrailing();
            if (!l.isEmpty() && !Objects.equals(l, last)) {
                err.println(l);
                err.flush();
                last = l;
            }
        }
    }
}
