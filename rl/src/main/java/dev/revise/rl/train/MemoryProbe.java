package dev.revise.rl.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Process memory as the OS and the C allocator see it, and a robust trend over samples (leak checks). */
public final class MemoryProbe {
    private MemoryProbe() {}

    /** glibc's {@code struct mallinfo2} (all size_t). */
    @com.sun.jna.Structure.FieldOrder({
        "arena",
        "ordblks",
        "smblks",
        "hblks",
        "hblkhd",
        "usmblks",
        "fsmblks",
        "uordblks",
        "fordblks",
        "keepcost"
    })
    public static class MallInfo2 extends com.sun.jna.Structure {
        public long arena;
        public long ordblks;
        public long smblks;
        public long hblks;
        public long hblkhd;
        public long usmblks;
        public long fsmblks;
        public long uordblks;
        public long fordblks;
        public long keepcost;

        /** Returned by value. */
        public static class ByValue extends MallInfo2 implements com.sun.jna.Structure.ByValue {}
    }

    interface CLibrary extends com.sun.jna.Library {
        MallInfo2.ByValue mallinfo2();
    }

    private static final class Holder {
        static final CLibrary C = load();

        private static CLibrary load() {
            try {
                CLibrary c = com.sun.jna.Native.load("c", CLibrary.class);
                c.mallinfo2();
                return c;
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                return null; // not glibc >= 2.33
            }
        }
    }

    /**
     * Bytes the C allocator has handed out and not taken back (glibc's mallinfo2: uordblks +
     * hblkhd), in MB; NaN where glibc's mallinfo2 is missing. Unlike RSS it does not include memory
     * the allocator keeps after a free, so a flat line means no native leak. libtorch's CPU tensors
     * are allocated through it.
     */
    public static double mallocInUseMegabytes() {
        if (Holder.C == null) {
            return Double.NaN;
        }
        MallInfo2 m = Holder.C.mallinfo2();
        return (m.uordblks + m.hblkhd) / (1024.0 * 1024.0);
    }

    /**
     * Collects garbage and gives the cleaner thread time to free the direct buffers it released
     * (their memory is malloc'ed: until then it counts as in use).
     */
    public static void settle() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

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
