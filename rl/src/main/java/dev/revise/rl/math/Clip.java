package dev.revise.rl.math;

/**
 * The bounds of the clipped surrogate's importance ratio: clip(rho, 1 - epsLow, 1 + epsHigh), with
 * DAPO's clip-higher when epsHigh > epsLow, and the dual clip c > 1 of Ye et al. 2020 on
 * negative-advantage tokens (0 disables it).
 */
public record Clip(float epsLow, float epsHigh, float dualClip) {
    public Clip {
        if (!(epsLow >= 0 && epsLow < 1 && epsHigh >= 0)) {
            throw new IllegalArgumentException(
                    "clip bounds must satisfy 0 <= low < 1 and high >= 0, got " + epsLow + ", " + epsHigh);
        }
        if (dualClip != 0 && !(dualClip > 1)) {
            throw new IllegalArgumentException("the dual clip must be > 1 (0 disables it), got " + dualClip);
        }
    }

    /** PPO's symmetric 0.2. */
    public static Clip standard() {
        return new Clip(0.2f, 0.2f, 0f);
    }

    /** DAPO's clip-higher: 0.2 below, 0.28 above. */
    public static Clip higher() {
        return new Clip(0.2f, 0.28f, 0f);
    }
}
