package dev.revise.rl.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class MicroBatchesTest {
    @Test
    void byRowsCoversEveryRowOnceWithWeightsSummingToOne() {
        List<MicroBatches.Slice> s = MicroBatches.byRows(10, 4);
        assertEquals(3, s.size());
        assertEquals(List.of(0, 4, 8), s.stream().map(MicroBatches.Slice::from).toList());
        assertEquals(List.of(4, 8, 10), s.stream().map(MicroBatches.Slice::to).toList());
        assertEquals(0.4, s.get(0).weight(), 1e-12);
        assertEquals(0.2, s.get(2).weight(), 1e-12);
        assertEquals(1.0, s.stream().mapToDouble(MicroBatches.Slice::weight).sum(), 1e-12);
    }

    @Test
    void byTokensRespectsTheBudgetAndWeightsByTokens() {
        int[] lengths = {10, 10, 30, 5, 5, 5};
        double[] tokens = {10, 10, 30, 5, 5, 5};
        List<MicroBatches.Slice> s = MicroBatches.byTokens(lengths, tokens, 30);
        // [10,10] padded 20; adding 30 -> 90 > 30: stop. [30] alone. [5,5,5] padded 15.
        assertEquals(List.of(0, 2, 3), s.stream().map(MicroBatches.Slice::from).toList());
        assertEquals(20.0 / 65, s.get(0).weight(), 1e-12);
        assertEquals(30.0 / 65, s.get(1).weight(), 1e-12);
        assertEquals(15.0 / 65, s.get(2).weight(), 1e-12);
    }

    @Test
    void aRowLongerThanTheBudgetStillGetsItsOwnSlice() {
        List<MicroBatches.Slice> s = MicroBatches.byTokens(new int[] {100, 1}, new double[] {1, 1}, 10);
        assertEquals(2, s.size());
        assertEquals(1, s.get(0).size());
    }

    @Test
    void badSizesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> MicroBatches.byRows(0, 4));
        assertThrows(IllegalArgumentException.class, () -> MicroBatches.byRows(4, 0));
        assertThrows(
                IllegalArgumentException.class, () -> MicroBatches.byTokens(new int[] {1}, new double[] {1, 2}, 4));
    }
}
