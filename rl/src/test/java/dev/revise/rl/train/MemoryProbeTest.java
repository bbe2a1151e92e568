package dev.revise.rl.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.sun.jna.Native;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The leak tests' probe sees a native leak, and a one-off jump does not pass for one. */
class MemoryProbeTest {
    @Test
    void nativeLeakShowsInBothWindowsAndFreedMemoryInNeither() {
        assumeFalse(Double.isNaN(MemoryProbe.mallocInUseMegabytes()), "glibc's mallinfo2 is missing");
        List<Long> leaked = new ArrayList<>();
        try {
            // 100 KB a step that nobody frees: 9.8 MB per 100 steps.
            MemoryProbe.Growth a = MemoryProbe.measure(0, 50, 5, i -> leaked.add(Native.malloc(100 * 1024)));
            MemoryProbe.Growth b = MemoryProbe.measure(50, 50, 5, i -> leaked.add(Native.malloc(100 * 1024)));
            assertEquals(9.77, a.persistentWith(b).nativePer100(), 0.5);

            MemoryProbe.Growth freed = MemoryProbe.measure(0, 50, 5, i -> Native.free(Native.malloc(100 * 1024)));
            assertTrue(Math.abs(freed.nativePer100()) < 0.5, freed.toString());
        } finally {
            leaked.forEach(Native::free);
        }
    }

    @Test
    void nmtSummariesAddMallocsAndArenasButNotDirectBuffers() {
        String summary = String.join(
                "\n",
                "Total: reserved=9999KB, committed=999KB",
                "       malloc: 53000KB #4000",
                "-                  Compiler (reserved=169KB, committed=169KB)",
                "                            (malloc=5KB #60) (at peak) ",
                "                            (arena=165KB #5) (peak=2275KB #6)",
                " ",
                "-                     Other (reserved=51210KB, committed=51210KB)",
                "                            (malloc=51210KB #3) (at peak) ",
                " ",
                "-               Arena Chunk (reserved=2096KB, committed=2096KB)",
                "                            (malloc=2096KB #118) (peak=2822KB #121) ");
        assertEquals((5 + 165 + 2096) / 1024.0, MemoryProbe.jvmMallocMegabytes(summary), 1e-12);
        assertTrue(Double.isNaN(MemoryProbe.jvmMallocMegabytes("Native memory tracking is not enabled")));
    }

    @Test
    void theJvmsOwnMallocsAreCountedWhenNativeMemoryTrackingIsOn() {
        assumeFalse(Double.isNaN(MemoryProbe.mallocInUseMegabytes()), "glibc's mallinfo2 is missing");
        // The surefire JVMs run with -XX:NativeMemoryTracking=summary (see the parent pom).
        double jvm = MemoryProbe.jvmMallocMegabytes();
        assertFalse(Double.isNaN(jvm), "Native Memory Tracking is off in the test JVM");
        assertTrue(jvm > 1 && jvm < MemoryProbe.mallocInUseMegabytes(), "JVM mallocs " + jvm + " MB");
    }

    @Test
    void aOneOffJumpIsNotPersistentGrowth() {
        MemoryProbe.Growth jump = new MemoryProbe.Growth(30, 30);
        MemoryProbe.Growth flat = new MemoryProbe.Growth(0.1, -2);
        assertEquals(new MemoryProbe.Growth(0.1, -2), jump.persistentWith(flat));
        assertEquals(
                new MemoryProbe.Growth(0.1, 30),
                new MemoryProbe.Growth(Double.NaN, 30).persistentWith(new MemoryProbe.Growth(0.1, 40)));
    }
}
