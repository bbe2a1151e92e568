package dev.revise.experiments.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.revise.rl.learn.SftLearner;
import dev.revise.rl.learn.SftTrainer;
import java.util.List;
import java.util.Map;

/** SFT: masked NLL on {@code sft.*} batches. */
public record SftSpec(SftLearner.Config learner, long updates, SftBatches.Spec data, long seed)
        implements AlgorithmSpec {
    @Override
    public AlgorithmSpec.Name name() {
        return AlgorithmSpec.Name.SFT;
    }

    @Override
    public JsonNode rolloutRewards() {
        return AlgorithmKeys.CORRECTNESS.deepCopy();
    }

    @Override
    public boolean needsReference() {
        return false;
    }

    @Override
    public AlgorithmSpec.Built build(AlgorithmSpec.Wiring w) {
        SftLearner learner = new SftLearner(w.policy(), learner());
        return new AlgorithmSpec.Built(
                new SftTrainer(updates, SftBatches.batches(data, w.policy(), w.tasks(), w.taskSetup(), seed), learner),
                Map.of("sft", learner),
                List.of(learner));
    }
}
