package dev.revise.rl;

/** Scores a finished trajectory from its verdicts and text. Pure: same input, same output. */
public interface RewardFunction {
    RewardBreakdown score(Trajectory trajectory);
}
