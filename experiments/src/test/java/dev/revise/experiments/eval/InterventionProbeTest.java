package dev.revise.experiments.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The probe's bookkeeping on the shipped synthetic base, with and without the decode session's KV reuse. */
class InterventionProbeTest {
    @TempDir
    Path dir;

    private SelfCorrectionEval.Result eval(String mode, boolean kvReuse) throws Exception {
        return SelfCorrectionEval.run(
                new SelfCorrectionEval.Request(
                        Path.of("base/synthetic-sft"),
                        "synthetic",
                        2,
                        null,
                        1,
                        40,
                        1.0,
                        3,
                        List.of("rollout.kv_reuse=" + kvReuse),
                        AttemptIntervention.Mode.parse(mode)),
                dir.resolve(mode + "-" + kvReuse));
    }

    /**
     * A stand-in attempt differs from what the session sampled: the cache keeps the common prefix
     * only, so attempt 2 is what a full prefill of the replaced context samples.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gold", "corrupt", "other"})
    void theProbeIsTheSameWithAndWithoutKvReuse(String mode) throws Exception {
        SelfCorrectionEval.Result reuse = eval(mode, true);
        SelfCorrectionEval.Result full = eval(mode, false);
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        assertEquals(
                json.writeValueAsString(full.extra().get("per_episode")),
                json.writeValueAsString(reuse.extra().get("per_episode")));
        assertEquals(full.report().accuracy()[1], reuse.report().accuracy()[1]);
        Map<String, Object> x = reuse.extra();
        assertEquals(40, (Integer) x.get("intervene_n") + (Integer) x.get("intervene_left_out"));
        assertEquals(mode, x.get("intervene"));
        switch (mode) {
            case "gold" -> assertEquals(1.0, reuse.report().accuracy()[0], "the reference solution is right");
            case "corrupt" -> {
                assertEquals(0.0, reuse.report().accuracy()[0], "every kept slip is graded wrong");
                assertThat((Integer) x.get("intervene_n")).isPositive().isLessThan(40);
            }
            default -> assertEquals(40, x.get("intervene_n"));
        }
    }
}
