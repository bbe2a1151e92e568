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
import dev.revise.rl.Completion;
import dev.revise.rl.FinishReason;
import dev.revise.rl.Generator;
import dev.revise.rl.Prompt;
import dev.revise.rl.RewardBreakdown;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.Task;
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
        List<Task> tasks = List.of(new Task("a", "Q1:", "1"), new Task("b", "Q2:", "2"), new Task("c", "Q0:", "0"));
        try (NDManager root = NDManager.newBaseManager();
                LlamaPolicy p = GrpoLearnerTest.policy(root, 1);
                SftLearner sft = new SftLearner(
                        p, new SftLearner.Config(0, LearningRateSchedule.constant(1e-3), AdamW.Config.defaults()))) {
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
                        new RiseTrainer.Config(1, 3, 4, 0.4, selection, 1, 4, SamplingParams.sample(4), 7),
                        new ShuffledTaskSource(tasks, 1, false),
                        rollouts,
                        gen,
                        new SyntheticVerifier(),
                        sft);
                Map<String, Double> stats = rise.runIteration();
                assertTrue(rise.done());
                return stats.get("rise/examples");
            }
        }
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
}
