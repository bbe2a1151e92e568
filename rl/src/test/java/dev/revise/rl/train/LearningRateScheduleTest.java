package dev.revise.rl.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {
    @Test
    void warmupThenCosineGoldenValues() {
        LearningRateSchedule s = new LearningRateSchedule(1e-3, 4, 14, 0.1);
        assertEquals(1e-3 * 1 / 5, s.at(0), 1e-15);
        assertEquals(1e-3 * 4 / 5, s.at(3), 1e-15);
        assertEquals(1e-3, s.at(4), 1e-15); // cosine starts at the peak
        // halfway through the 10 decay steps: cos(pi/2) = 0 -> min + (1-min)/2
        assertEquals(1e-3 * (0.1 + 0.9 * 0.5), s.at(9), 1e-15);
        assertEquals(1e-4, s.at(14), 1e-15);
        assertEquals(1e-4, s.at(1000), 1e-15);
    }

    @Test
    void constantScheduleNeverChanges() {
        LearningRateSchedule s = LearningRateSchedule.constant(3e-4);
        for (long step : new long[] {0, 1, 10, 100000}) {
            assertEquals(3e-4, s.at(step), 0.0, "step " + step);
        }
    }

    @Test
    void invalidValuesNameTheField() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new LearningRateSchedule(0, 0, 1, 0));
        assertEquals("peak learning rate must be > 0, got 0.0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LearningRateSchedule(1, -1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new LearningRateSchedule(1, 0, 1, 1.5));
    }
}
