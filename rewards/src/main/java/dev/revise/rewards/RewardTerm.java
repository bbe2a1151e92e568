package dev.revise.rewards;

import dev.revise.rl.Trajectory;
import dev.revise.rl.Turn;
import dev.revise.rl.Verdict;

/**
 * One named ingredient of a reward: per-turn values of a trajectory. Pure. The formulas, with r_t
 * the verifier's score of attempt t (binary, or credit in [0, 1] when {@code partialCredit}):
 *
 * <ul>
 *   <li>{@link Correctness}: v_t = r_t on every turn;
 *   <li>{@link FinalCorrectness}: v_last = r_last, 0 elsewhere;
 *   <li>{@link Progress} (SCoRe's shaping): v_t = alpha (r_t - r_{t-1}) for t >= 2, 0 on turn 1;
 *   <li>{@link RiseTurn}: v_t = correct / incorrect / unparseable per attempt (RISE's GSM8K code: 1 / 0 / -1);
 *   <li>{@link Format}: paid once per trajectory, on the last turn: 1 if the final attempt has a
 *       parseable answer. Per-turn format rewards would make extra failed retries look better;
 *   <li>{@link Length}: v_t = -tokens_t (times the weight: a per-token cost);
 *   <li>{@link Overlong} (DAPO's soft overlong punishment, arXiv 2503.14476): with L_max and a buffer
 *       B, v_t = 0 if L <= L_max - B, ((L_max - B) - L) / B if L_max - B < L <= L_max, -1 beyond;
 *   <li>{@link ChangedCorrect}: v_t = -1 when attempt t-1 was correct and attempt t's answer differs;
 *   <li>{@link UnchangedWrong}: v_t = -1 when attempt t-1 was wrong and attempt t gives the same answer.
 * </ul>
 */
public sealed interface RewardTerm {
    double[] values(Trajectory t);

    /** r_t: binary, or the verifier's credit. Verdicts are checked non-null by {@link CompositeReward}. */
    static double score(Turn turn, boolean partialCredit) {
        Verdict v = turn.verdict();
        return partialCredit ? v.credit() : v.binary();
    }

    record Correctness(boolean partialCredit) implements RewardTerm {
        @Override
        public double[] values(Trajectory t) {
            double[] v = new double[t.size()];
            for (int k = 0; k < v.length; k++) {
                v[k] = score(t.turn(k), partialCredit);
            }
            return v;
        }
    }

    record FinalCorrectness(boolean partialCredit) implements RewardTerm {
        @Override
        public double[] values(Trajectory t) {
            double[] v = new double[t.size()];
            v[v.length - 1] = score(t.last(), partialCredit);
            return v;
        }
    }

    record Progress(double alpha, boolean partialCredit) implements RewardTerm {
        public Progress {
            if (!(alpha >= 0) || Double.isInfinite(alpha)) {
                throw new IllegalArgumentException("alpha: expected a finite number >= 0, got " + alpha);
            }
        }

        @Override
        public double[] values(Trajectory t) {
            double[] v = new double[t.size()];
            for (int k = 1; k < v.length; k++) {
                v[k] = alpha * (score(t.turn(k), partialCredit) - score(t.turn(k - 1), partialCredit));
            }
            return v;
        }
    }

    record RiseTurn(double correct, double incorrect, double unparseable) implements RewardTerm {
        @Override
        public double[] values(Trajectory t) {
            double[] v = new double[t.size()];
            for (int k = 0; k < v.length; k++) {
                Verdict verdict = t.turn(k).verdict();
                v[k] = verdict.correct() ? correct : verdict.parsed() ? incorrect : unparseable;
            }
            return v;
        }
    }

    record Format() implements RewardTerm {
        @Override
        public double[] values(Trajectory t) {
            double[] v = new double[t.size()];
            v[v.length - 1] = t.last().verdict().parsed() ? 1 : 0;
            return v;
        }
    }

    record Length() implements RewardTerm {
        @Override
        public double[] values(Trajectory t) {
            double[] v = new double[t.size()];
            for (int k = 0; k < v.length; k++) {
                v[k] = -t.turn(k).completion().length();
            }
            return v;
        }
    }

    record Overlong(int maxTokens, int buffer) implements RewardTerm {
        public Overlong {
            if (maxTokens < 1 || buffer < 1 || buffer > maxTokens) {
                throw new IllegalArgumentException(
                        "max_tokens and buffer: expected 1 <= buffer <= max_tokens, got " + maxTokens + ", " + buffer);
            }
        }

        @Override
        public double[] values(Trajectory t) {
            double[] v = new double[t.size()];
            for (int k = 0; k < v.length; k++) {
                int length = t.turn(k).completion().length();
                int safe = maxTokens - buffer;
                v[k] = length <= safe ? 0 : length <= maxTokens ? (double) (safe - length) / buffer : -1;
            }
            return v;
        }
    }

    record ChangedCorrect() implements RewardTerm {
        @Override
        public double[] values(Trajectory t) {
            return transitionPenalty(t, (before, now) -> before.correct() && !sameAnswer(before, now));
        }
    }

    record UnchangedWrong() implements RewardTerm {
        @Override
        public double[] values(Trajectory t) {
            return transitionPenalty(t, (before, now) -> !before.correct() && sameAnswer(before, now));
        }
    }

    /** -1 on every turn t >= 2 whose transition from turn t-1 matches {@code penalised}. */
    private static double[] transitionPenalty(
            Trajectory t, java.util.function.BiPredicate<Verdict, Verdict> penalised) {
        double[] v = new double[t.size()];
        for (int k = 1; k < v.length; k++) {
            if (penalised.test(t.turn(k - 1).verdict(), t.turn(k).verdict())) {
                v[k] = -1;
            }
        }
        return v;
    }

    private static boolean sameAnswer(Verdict a, Verdict b) {
        return java.util.Objects.equals(a.extracted(), b.extracted());
    }
}
