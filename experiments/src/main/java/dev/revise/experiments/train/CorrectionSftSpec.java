package dev.revise.experiments.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.revise.experiments.config.ConfigTree;
import dev.revise.rl.learn.CorrectionSftTrainer;
import dev.revise.rl.learn.SftLearner;
import java.util.List;
import java.util.Map;

/** Pair-SFT and STaR on correction traces, online or from the base's samples. */
public record CorrectionSftSpec(
        AlgorithmSpec.Name name, CorrectionSftTrainer.Config trainer, SftLearner.Config learner, boolean fromBase)
        implements AlgorithmSpec {
    static CorrectionSftSpec read(ConfigTree c, AlgorithmSpec.Name name, AlgorithmKeys r) {
        CorrectionSftTrainer.Config trainer = new CorrectionSftTrainer.Config(
                name == AlgorithmSpec.Name.STAR ? CorrectionSftTrainer.Mode.STAR : CorrectionSftTrainer.Mode.PAIR,
                r.steps(),
                c.integer("train.tasks_per_step", 1, Integer.MAX_VALUE),
                c.integer("train.group_size", 1, Integer.MAX_VALUE),
                r.sampling,
                r.seed);
        boolean base = c.choice("correction_sft.samples_from", "policy", "base").equals("base");
        return new CorrectionSftSpec(name, trainer, r.sft(trainer.steps()), base);
    }

    @Override
    public long updates() {
        return trainer.steps();
    }

    @Override
    public JsonNode rolloutRewards() {
        return AlgorithmKeys.CORRECTNESS.deepCopy();
    }

    @Override
    public boolean needsReference() {
        return fromBase;
    }

    @Override
    public boolean samplesFromBase() {
        return fromBase;
    }

    @Override
    public AlgorithmSpec.Built build(AlgorithmSpec.Wiring w) {
        SftLearner l = new SftLearner(w.policy(), learner);
        CorrectionSftTrainer t =
                new CorrectionSftTrainer(trainer.withSampling(w.sampling()), w.tasks(), w.rollouts(), l);
        return new AlgorithmSpec.Built(t, Map.of("sft", l), List.of(l));
    }
}
