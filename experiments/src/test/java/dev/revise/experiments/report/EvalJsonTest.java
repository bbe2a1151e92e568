package dev.revise.experiments.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.rl.Completion;
import dev.revise.rl.Feedback;
import dev.revise.rl.FinishReason;
import dev.revise.rl.Message;
import dev.revise.rl.Trajectory;
import dev.revise.rl.Turn;
import dev.revise.rl.Verdict;
import dev.revise.rl.metrics.SelfCorrectionMetrics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalJsonTest {
    @TempDir
    Path dir;

    /** Two turns, correct at each as {@code c1}, {@code c2}. */
    static Trajectory episode(String task, boolean c1, boolean c2) {
        List<Turn> turns = new ArrayList<>();
        boolean[] c = {c1, c2};
        for (int k = 0; k < 2; k++) {
            turns.add(new Turn(
                    k,
                    List.of(Message.user("q")),
                    new Completion("a", new int[0], new float[0], FinishReason.STOP_TOKEN),
                    c[k] ? Verdict.correct("1", "ok") : Verdict.incorrect("0", 0, "no"),
                    k == 1 ? Feedback.end() : Feedback.retry("again")));
        }
        return new Trajectory(task, task, turns, 0, 0);
    }

    /** Six problems (3 fixed, 1 broken, 2 unchanged), each {@code samples} times. */
    static List<Trajectory> episodes(int samples) {
        boolean[][] outcomes = {{false, true}, {false, true}, {false, true}, {true, false}, {true, true}, {false, false}
        };
        List<Trajectory> out = new ArrayList<>();
        for (int j = 0; j < outcomes.length; j++) {
            for (int s = 0; s < samples; s++) {
                out.add(episode("p" + j, outcomes[j][0], outcomes[j][1]));
            }
        }
        return out;
    }

    JsonNode written(int samples) throws Exception {
        List<Trajectory> ts = episodes(samples);
        Path file = EvalJson.write(
                SelfCorrectionMetrics.of(ts, 2),
                "oracle",
                samples,
                EvalJson.perEpisode(ts),
                dir.resolve("s" + samples));
        return new ObjectMapper().readTree(file.toFile());
    }

    @Test
    void evalJsonSaysHowItsIntervalsTreatSamplesOfOneProblem() throws Exception {
        JsonNode one = written(1);
        assertEquals("episode", one.get("inference_unit").asText());
        assertEquals("wilson", one.get("interval_method").asText());
        assertEquals("paired_normal", one.get("delta_interval_method").asText());
        assertEquals("mcnemar_exact", one.get("paired_test").asText());
        assertEquals(6, one.get("n_clusters").asInt());
        assertEquals(1, one.get("samples_per_problem").asInt());
        // b = 3, c = 1 of 6: exact McNemar 0.625
        assertEquals(0.625, one.get("mcnemar_p").asDouble(), 1e-12);
        assertEquals(2, one.get("delta_i_to_c_ci").size());

        JsonNode three = written(3);
        assertEquals("problem", three.get("inference_unit").asText());
        assertEquals("problem_cluster_wilson", three.get("interval_method").asText());
        assertEquals("problem_means_t", three.get("delta_interval_method").asText());
        assertEquals("sign_test_problems", three.get("paired_test").asText());
        assertEquals(6, three.get("n_clusters").asInt());
        assertEquals(6, three.get("n_problems").asInt());
        assertEquals(3, three.get("samples_per_problem").asInt());
        assertEquals(18, three.get("per_episode").get("task_ids").size());
        // the sign test counts the 3 + 1 problems, not 9 + 3 episodes (which would give 0.146)
        assertEquals(0.625, three.get("mcnemar_p").asDouble(), 1e-12);
        // identical samples: no narrower than one sample each
        for (String f : List.of("delta_ci", "delta_i_to_c_ci")) {
            double w1 = one.get(f).get(1).asDouble() - one.get(f).get(0).asDouble();
            double w3 = three.get(f).get(1).asDouble() - three.get(f).get(0).asDouble();
            org.assertj.core.api.Assertions.assertThat(w3).as(f).isGreaterThanOrEqualTo(w1);
        }
    }
}
