package dev.revise.rl.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Process memory as the OS sees it, and a robust trend over samples (leak checks, perf metrics). */
public final class MemoryProbe {
    private MemoryProbe() {}

    /** Resident set size in MB (Linux {@code /proc/self/status}); NaN where it is not available. */
    public static double residentMegabytes() {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return Double.NaN;
        }
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Double.NaN;
    }

    /**
     * Theil-Sen slope of (x, y) points: the median of the slopes between every pair, so a single
     * jump (the heap growing once, an allocator arena) moves it little while a steady leak moves
     * every pair.
     */
    public static double theilSenSlope(List<double[]> points) {
        List<Double> slopes = new ArrayList<>();
        for (int i = 0; i < points.size(); i++) {
            for (int j = i + 1; j < points.size(); j++) {
                slopes.add((points.get(j)[1] - points.get(i)[1]) / (points.get(j)[0] - points.get(i)[0]));
            }
        }
        if (slopes.isEmpty()) {
            throw new IllegalArgumentException("a slope needs at least 2 points");
        }
        slopes.sort(Double::compare);
        return slopes.get(slopes.size() / 2);
    }
}
