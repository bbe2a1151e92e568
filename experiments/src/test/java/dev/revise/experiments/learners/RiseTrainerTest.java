package dev.revise.experiments.learners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.revise.envs.EnvironmentConfig;
import dev.revise.envs.FeedbackMode;
import dev.revise.envs.SelfCorrectionEnvironment;
import dev.revise.envs.synthetic.SyntheticVerifier;
import dev.revise.envs.tasks.ShuffledTaskSource;
import dev.revise.policies.LlamaPolicy;
import dev.revise.rewards.RewardPresets;
import dev.revise.rl.Completion;
import dev.revise.rl.FinishReason;
import dev.revise.rl.Generator;
import dev.revise.rl.Prompt;
import dev.revise.rl.RewardBreakdown;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.Task;
import dev.revise.rl.learn.MetricNames;
import dev.revise.rl.learn.PolicyOptimizer;
import dev.revise.rl.learn.RiseTrainer;
import dev.revise.rl.learn.SftLearner;
import dev.revise.rl.rollout.LocalRolloutSource;
import dev.revise.rl.rollout.RolloutWorker;
import dev.revise.rl.train.AdamW;
import dev.revise.rl.train.LearningRateSchedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RiseTrainerTest {
    @Test
    void weightsAreExpOfRewardOverTau() {
        assertEquals(Math.exp(1 / 0.4), RiseTrainer.weight(1, 0.4), 1e-12);
        assertEquals(1.0, RiseTrainer.weight(0, 0.4), 0);
        assertEquals(Math.exp(-2.5), RiseTrainer.weight(-1, 0.4), 1e-12);
    }

    /** Answers "A<d>" with a digit drawn from the prompt's seed. */
    static Generator digits(LlamaPolicy p) {
        return (prompts, params) -> {
            List<Completion> out = new ArrayList<>();
            for (Prompt pr : prompts) {
                String text = "A" + new SplittableRandom(pr.seed()).nextInt(3);
                int[] ids = p.tokenizer().encode(text);
                out.add(new Completion(text, ids, new float[ids.length], FinishReason.STOP_TOKEN));
            }
            return out;
        };
    }

    static double examples(RiseTrainer.Selection selection) {
        return iteration(selection, true, RewardPresets.rise(), 4).get("rise/examples");
    }

    static Map<String, Double> iteration(
            RiseTrainer.Selection selection,
            boolean trainAllWrong,
            dev.revise.rl.RewardFunction reward,
            int candidates) {
        return iteration(selection, trainAllWrong, reward, candidates, 8);
    }

    static Map<String, Double> iteration(
            RiseTrainer.Selection selection,
            boolean trainAllWrong,
            dev.revise.rl.RewardFunction reward,
            int candidates,
            int promptsPerCall) {
        List<Task> tasks = List.of(new Task("a", "Q1:", "1"), new Task("b", "Q2:", "2"), new Task("c", "Q0:", "0"));
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy p = GrpoLearnerTest.policy(root, 1);
                SftLearner sft = new SftLearner(
                        p,
                        new SftLearner.Config(
                                0,
                                new PolicyOptimizer.Config(
                                        LearningRateSchedule.constant(1e-3), AdamW.Config.defaults())))) {
            EnvironmentConfig env = new EnvironmentConfig(
                    3, "{prompt}", FeedbackMode.ORACLE, "|", "|", EnvironmentConfig.DEFAULT_HINT, 0, 0, 4);
            Generator gen = digits(p);
            try (LocalRolloutSource rollouts = new LocalRolloutSource(
                    i -> new RolloutWorker(
                            new SelfCorrectionEnvironment(env, new SyntheticVerifier()),
                            gen,
                            p,
                            t -> new RewardBreakdown(new double[t.size()], Map.of()),
                            8),
                    p::version,
                    1,
                    3,
                    0)) {
                RiseTrainer rise = new RiseTrainer(
                        new RiseTrainer.Config(
                                1,
                                3,
                                candidates,
                                0.4,
                                selection,
                                1,
                                4,
                                trainAllWrong,
                                SamplingParams.sample(4),
                                7,
                                promptsPerCall),
                        new ShuffledTaskSource(tasks, 1, false),
                        rollouts,
                        gen,
                        new SyntheticVerifier(),
                        reward,
                        sft);
                Map<String, Double> stats = rise.runIteration();
                assertTrue(rise.done());
                return stats;
            }
        }
    }

    /** Before: the candidates' tokens were missing from batch/generated_tokens (RISE looked 5x cheaper). */
    @Test
    void candidateTokensCountAsGeneratedTokensWhateverTheCallSize() {
        Map<String, Double> one = iteration(RiseTrainer.Selection.ALL, true, RewardPresets.rise(), 4, 1);
        Map<String, Double> many = iteration(RiseTrainer.Selection.ALL, true, RewardPresets.rise(), 4, 64);
        int perCandidate;
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy p = GrpoLearnerTest.policy(root, 1)) {
            perCandidate = p.tokenizer().encode("A0").length;
        }
        // ALL keeps every candidate: as many examples as candidates, each "A<d>"
        assertEquals(one.get("rise/examples") * perCandidate, one.get("rise/candidate_tokens"), 0);
        double rolloutTokens = one.get(MetricNames.GENERATED_TOKENS) - one.get("rise/candidate_tokens");
        assertTrue(rolloutTokens > 0, "the collected episodes' tokens stay counted: " + rolloutTokens);
        one.keySet().removeIf(k -> k.startsWith("perf/"));
        many.keySet().removeIf(k -> k.startsWith("perf/"));
        assertEquals(one, many, "prefixes sampled 1 or 16 per generator call: the same iteration");
    }

    @Test
    void selectionRulesAdmitNestedSetsOfCandidates() {
        double all = examples(RiseTrainer.Selection.ALL);
        double better = examples(RiseTrainer.Selection.BETTER);
        double success = examples(RiseTrainer.Selection.SUCCESS);
        double best = examples(RiseTrainer.Selection.BEST);
        assertEquals(0, all % 4, "ALL keeps every one of the 4 candidates of each prefix");
        assertEquals(all / 4, best, "BEST keeps one candidate per prefix");
        assertTrue(success <= all && better <= all && success > 0, all + " " + better + " " + success);
    }

    /** Before: BEST trained at full weight on a candidate of prefixes whose candidates were all wrong. */
    @Test
    void prefixesWithOnlyWrongCandidatesCarryNoWeightUnlessAsked() {
        Map<String, Double> dropped = iteration(RiseTrainer.Selection.BEST, false, RewardPresets.rise(), 1);
        Map<String, Double> kept = iteration(RiseTrainer.Selection.BEST, true, RewardPresets.rise(), 1);
        double allWrong = dropped.get("rise/all_wrong_prefix_fraction");
        assertTrue(allWrong > 0 && allWrong < 1, "the random digits leave some prefixes all wrong: " + allWrong);
        assertEquals(allWrong, kept.get("rise/all_wrong_prefix_fraction"));
        // BEST keeps one candidate per prefix; without the all-wrong ones, a (1 - fraction) share of them
        assertEquals(kept.get("rise/examples") * (1 - allWrong), dropped.get("rise/examples"), 1e-9);
    }

    /** Before: RISE scored candidates with the verifier's credit, whatever the run's reward said. */
    @Test
    void candidatesAreScoredByTheRewardFunction() {
        // a reward that is the same for every attempt: no candidate beats the on-policy attempt
        dev.revise.rl.RewardFunction flat = t -> {
            double[] v = new double[t.size()];
            java.util.Arrays.fill(v, 0.5);
            return new RewardBreakdown(v, Map.of());
        };
        assertEquals(0.0, iteration(RiseTrainer.Selection.BETTER, true, flat, 4).get("rise/examples"));
        assertTrue(iteration(RiseTrainer.Selection.BETTER, true, RewardPresets.rise(), 4)
                        .get("rise/examples")
                > 0);
    }
}
