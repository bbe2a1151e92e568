package dev.revise.rl.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.JMException;
import javax.management.ObjectName;

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

    private static final Pattern NMT_CATEGORY = Pattern.compile("^-\\s+(.+?)\\s+\\(reserved=");
    private static final Pattern NMT_MALLOC = Pattern.compile("\\((?:malloc|arena)=(\\d+)KB");

    /**
     * Bytes the JVM itself has taken from the C allocator for its own work (compiler arenas, symbol
     * tables, GC and thread structures), in MB, as Native Memory Tracking reports them; NaN unless
     * the JVM runs with {@code -XX:NativeMemoryTracking=summary} (the test JVMs do). The JIT's
     * arenas come and go by tens of MB when C2 compiles a hot method, which would read as a leak.
     * NMT's "Other" category is left out: it holds direct buffers, where DJL keeps the data of
     * arrays created from Java values, so a leak of those still counts.
     */
    public static double jvmMallocMegabytes() {
        String summary;
        try {
            summary = String.valueOf(ManagementFactory.getPlatformMBeanServer()
                    .invoke(
                            new ObjectName("com.sun.management:type=DiagnosticCommand"),
                            "vmNativeMemory",
                            new Object[] {new String[] {"summary"}},
                            new String[] {String[].class.getName()}));
        } catch (JMException | RuntimeException e) {
            return Double.NaN;
        }
        return jvmMallocMegabytes(summary);
    }

    /** {@link #jvmMallocMegabytes()} of an NMT summary's text. */
    static double jvmMallocMegabytes(String summary) {
        long kilobytes = 0;
        boolean any = false;
        String category = "";
        for (String line : summary.split("\n")) {
            Matcher c = NMT_CATEGORY.matcher(line.strip().isEmpty() ? "" : line.stripLeading());
            if (c.find()) {
                category = c.group(1).strip();
            }
            if (category.equals("Other")) {
                continue;
            }
            Matcher m = NMT_MALLOC.matcher(line);
            while (m.find()) {
                kilobytes += Long.parseLong(m.group(1));
                any = true;
            }
        }
        return any ? kilobytes / 1024.0 : Double.NaN;
    }

    /**
     * The C allocator's bytes in use less the JVM's own (libtorch, DJL's JNI and other native
     * libraries), in MB; the allocator's whole figure where Native Memory Tracking is off, NaN where
     * mallinfo2 is missing.
     */
    public static double nativeLibrariesInUseMegabytes() {
        double all = mallocInUseMegabytes();
        double jvm = jvmMallocMegabytes();
        return Double.isNaN(jvm) ? all : all - jvm;
    }

    /** Growth per 100 steps of native-library memory in use and of RSS less the JVM's mallocs. */
    public record Growth(double nativePer100, double rssPer100) {
        /** The smaller growth of two windows, per measure: a leak grows in both, a one-off jump in one. */
        public Growth persistentWith(Growth other) {
            return new Growth(min(nativePer100, other.nativePer100), min(rssPer100, other.rssPer100));
        }

        private static double min(double a, double b) {
            return Double.isNaN(a) ? b : Double.isNaN(b) ? a : Math.min(a, b);
        }
    }

    /**
     * Runs {@code step} for steps {@code from .. from + count - 1}, sampling memory (after {@link
     * #settle()}) every {@code every} steps, and returns the Theil-Sen growth per 100 steps.
     */
    public static Growth measure(int from, int count, int every, IntConsumer step) {
        List<double[]> nativeInUse = new ArrayList<>();
        List<double[]> rss = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            step.accept(i);
            if ((i - from) % every == 0 || i == from + count - 1) {
                settle();
                double jvm = jvmMallocMegabytes();
                nativeInUse.add(new double[] {i, nativeLibrariesInUseMegabytes()});
                rss.add(new double[] {i, residentMegabytes() - (Double.isNaN(jvm) ? 0 : jvm)});
            }
        }
        return new Growth(theilSenSlope(nativeInUse) * 100, theilSenSlope(rss) * 100);
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
