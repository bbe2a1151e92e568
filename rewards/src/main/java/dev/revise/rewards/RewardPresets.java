package dev.revise.rewards;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The reward recipes of the papers, as compositions of terms. */
public final class RewardPresets {
    private RewardPresets() {}

    /** SCoRe Stage I: only attempt 2 is rewarded: [0, r(y2)]. */
    public static CompositeReward scoreStage1() {
        return new CompositeReward(
                Map.of("correct", new CompositeReward.Entry(new RewardTerm.Correctness(false), 1.0, Set.of(2))), 1.0);
    }

    /** SCoRe Stage II: both attempts rewarded, attempt 2 shaped by alpha (r(y2) - r(y1)). */
    public static CompositeReward scoreStage2(double alpha) {
        Map<String, CompositeReward.Entry> m = new LinkedHashMap<>();
        m.put("correct", CompositeReward.Entry.of(new RewardTerm.Correctness(false), 1.0));
        m.put("progress", CompositeReward.Entry.of(new RewardTerm.Progress(alpha, false), 1.0));
        return new CompositeReward(m, 1.0);
    }

    /** RISE: 1 correct, 0 wrong, -1 unparseable on every turn (the public GSM8K code). */
    public static CompositeReward rise() {
        return new CompositeReward(
                Map.of("rise", CompositeReward.Entry.of(new RewardTerm.RiseTurn(1, 0, -1), 1.0)), 1.0);
    }

    /** Plain outcome reward: correctness of the final attempt. */
    public static CompositeReward finalCorrectness() {
        return new CompositeReward(
                Map.of("final_correct", CompositeReward.Entry.of(new RewardTerm.FinalCorrectness(false), 1.0)), 1.0);
    }
}
