package dev.revise.rl.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Golden values computed by hand. */
class AdvantagesTest {
    static final double[] REWARDS = {1, 0, 0, 1, /* group 2 */ 1, 1, 1, 1};

    @Test
    void groupRelativeWithAndWithoutStd() {
        // group 1: mean 0.5, sample std sqrt(1/3) = 0.57735
        double s = Math.sqrt(1.0 / 3);
        assertArrayEquals(
                new double[] {0.5 / s, -0.5 / s, -0.5 / s, 0.5 / s, 0, 0, 0, 0},
                Advantages.groupRelative(REWARDS, 4, true, 0),
                1e-12);
        assertArrayEquals(
                new double[] {0.5, -0.5, -0.5, 0.5, 0, 0, 0, 0},
                Advantages.groupRelative(REWARDS, 4, false, 1e-6),
                1e-12);
        assertArrayEquals(new double[] {0, 0}, Advantages.groupRelative(new double[] {3, 5}, 1, true, 1e-6), 0);
    }

    @Test
    void leaveOneOut() {
        // r = 1: others mean 1/3 -> 2/3; r = 0: others mean 2/3 -> -2/3
        assertArrayEquals(
                new double[] {2.0 / 3, -2.0 / 3, -2.0 / 3, 2.0 / 3, 0, 0, 0, 0},
                Advantages.leaveOneOut(REWARDS, 4),
                1e-12);
        assertThrows(IllegalArgumentException.class, () -> Advantages.leaveOneOut(REWARDS, 1));
        assertThrows(IllegalArgumentException.class, () -> Advantages.leaveOneOut(REWARDS, 3));
    }

    @Test
    void batchMeanAndDiscountedReturns() {
        assertArrayEquals(
                new double[] {0.25, -0.75, -0.75, 0.25, 0.25, 0.25, 0.25, 0.25}, Advantages.batchMean(REWARDS), 1e-12);
        assertArrayEquals(
                new double[] {1 + 0.5 * 2 + 0.25 * 4, 2 + 0.5 * 4, 4},
                Advantages.discountedReturns(new double[] {1, 2, 4}, 0.5),
                1e-12);
    }

    @Test
    void perTurnBaselinesOnlyCompareSamplesThatReachedTheTurn() {
        double[][] v = {{0, 1}, {1}, {0, 0}, {1}};
        double[][] a = Advantages.perTurnGroupRelative(v, 4, false, 0);
        // turn 0: mean 0.5; turn 1: samples 0 and 2, mean 0.5
        assertArrayEquals(new double[] {-0.5, 0.5}, a[0], 1e-12);
        assertArrayEquals(new double[] {0.5}, a[1], 1e-12);
        assertArrayEquals(new double[] {-0.5, -0.5}, a[2], 1e-12);
        assertEquals(1, a[3].length);
    }

    @Test
    void gaeGoldenValues() {
        // gamma 0.9, lambda 0.8; V = [0.5, 0.2], r = [0, 1]
        // delta1 = 1 - 0.2 = 0.8; A1 = 0.8
        // delta0 = 0 + 0.9 * 0.2 - 0.5 = -0.32; A0 = -0.32 + 0.72 * 0.8 = 0.256
        Advantages.Gae g = Advantages.gae(new double[] {0, 1}, new double[] {0.5, 0.2}, 0.9, 0.8);
        assertArrayEquals(new double[] {0.256, 0.8}, g.advantages(), 1e-12);
        assertArrayEquals(new double[] {0.756, 1.0}, g.returns(), 1e-12);
        // lambda = 1: A_t = discounted return - V_t
        Advantages.Gae mc = Advantages.gae(new double[] {1, 2, 3}, new double[] {0.1, 0.2, 0.3}, 0.5, 1);
        double[] returns = Advantages.discountedReturns(new double[] {1, 2, 3}, 0.5);
        assertArrayEquals(new double[] {returns[0] - 0.1, returns[1] - 0.2, returns[2] - 0.3}, mc.advantages(), 1e-12);
    }

    @Test
    void zeroVarianceGroupsAndWhitening() {
        assertArrayEquals(new boolean[] {false, true}, Advantages.zeroVarianceGroups(REWARDS, 4));
        double[] w = Advantages.whiten(new double[] {1, 3}, 0);
        assertArrayEquals(new double[] {-1, 1}, w, 1e-12);
    }

    @Test
    void zeroVarianceIsPerTurnOverTheSamplesThatReachedIt() {
        // equal totals (1, 0) / (0, 1) but different turn-2 returns: signal
        assertEquals(false, Advantages.zeroVariancePerTurn(new double[][] {{1, 0}, {1, 1}}));
        assertEquals(true, Advantages.zeroVariancePerTurn(new double[][] {{1, 1}, {1, 1}}));
        // an oracle stop: one sample has no turn 2; the rest agree at every turn
        assertEquals(true, Advantages.zeroVariancePerTurn(new double[][] {{1}, {1, 0}, {1, 0}}));
        assertEquals(false, Advantages.zeroVariancePerTurn(new double[][] {{1}, {1, 0}, {1, 1}}));
    }

    @Test
    void perTurnBatchMeanAndMaskedWhitening() {
        List<double[]> v =
                new java.util.ArrayList<>(List.of(new double[] {1, 4}, new double[] {3}, new double[] {2, 0}));
        Advantages.perTurnBatchMean(v);
        assertArrayEquals(new double[] {-1, 2}, v.get(0), 1e-12);
        assertArrayEquals(new double[] {1}, v.get(1), 1e-12);
        assertArrayEquals(new double[] {0, -2}, v.get(2), 1e-12);
        float[] x = {1, 99, 3};
        Advantages.whitenMasked(x, new float[] {1, 0, 1}, 0);
        assertArrayEquals(new float[] {-1, 0, 1}, x, 1e-6f);
    }
}
