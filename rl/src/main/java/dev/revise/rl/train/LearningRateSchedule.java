package dev.revise.rl.train;

/**
 * Linear warm-up from 0 to {@code peak} over {@code warmupSteps}, then cosine decay to {@code
 * peak * minRatio} at {@code totalSteps}; constant after that.
 */
public record LearningRateSchedule(double peak, int warmupSteps, int totalSteps, double minRatio) {
    public LearningRateSchedule {
        if (!(peak > 0) || Double.isInfinite(peak)) {
            throw new IllegalArgumentException("peak learning rate must be > 0, got " + peak);
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warmupSteps must be >= 0, got " + warmupSteps);
        }
        if (totalSteps < 1) {
            throw new IllegalArgumentException("totalSteps must be >= 1, got " + totalSteps);
        }
        if (!(minRatio >= 0 && minRatio <= 1)) {
            throw new IllegalArgumentException("minRatio must be in [0, 1], got " + minRatio);
        }
    }

    public static LearningRateSchedule constant(double lr) {
        return new LearningRateSchedule(lr, 0, 1, 1.0);
    }

    /** The learning rate of optimizer step {@code step} (0-based). */
    public double at(long step) {
        if (step < warmupSteps) {
            return peak * (step + 1) / (warmupSteps + 1);
        }
        if (step >= totalSteps) {
            return peak * minRatio;
        }
        double decaySteps = Math.max(1, totalSteps - warmupSteps);
        double progress = (step - warmupSteps) / decaySteps;
        double cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
        return peak * (minRatio + (1 - minRatio) * cosine);
    }
}
