package dev.revise.rl.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.revise.rl.Generator;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.Task;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LocalRolloutSourceTest {
    static final List<Task> TASKS = IntStream.range(0, 10)
            .mapToObj(i -> new Task("t" + i, "Q" + i + ":", "" + (i % 10)))
            .toList();
    static final RolloutRequest REQUEST = new RolloutRequest(TASKS, 3, 5, 2, SamplingParams.sample(4));

    static RolloutWorker worker(Generator g) {
        return new RolloutWorker(
                RolloutWorkerTest.TWO_TURNS, g, RolloutWorkerTest.PLAIN, RolloutWorkerTest.PER_TURN_CORRECT, 64);
    }

    @Test
    void sameRolloutsWhateverTheNumberOfThreads() {
        List<Rollout> one;
        try (LocalRolloutSource s = new LocalRolloutSource(i -> worker(RolloutWorkerTest.DIGITS), () -> 4, 1, 2, 0)) {
            one = s.collect(REQUEST);
        }
        try (LocalRolloutSource s = new LocalRolloutSource(i -> worker(RolloutWorkerTest.DIGITS), () -> 4, 3, 2, 0)) {
            List<Rollout> three = s.collect(REQUEST);
            assertEquals(one.size(), three.size());
            for (int i = 0; i < one.size(); i++) {
                assertArrayEquals(one.get(i).tokens(), three.get(i).tokens(), "rollout " + i);
                assertEquals(
                        one.get(i).trajectory().taskId(),
                        three.get(i).trajectory().taskId());
            }
            assertEquals(30, three.size());
            assertEquals("t0", three.get(0).trajectory().taskId());
            assertEquals("t9", three.get(29).trajectory().taskId());
            assertEquals(4, three.get(0).trajectory().policyVersion());
        }
    }

    @Test
    void aFailingWorkerIsReplacedAndItsUnitResubmitted() {
        AtomicInteger failures = new AtomicInteger(2);
        Generator flaky = (prompts, params) -> {
            if (failures.getAndDecrement() > 0) {
                throw new IllegalStateException("injected fault");
            }
            return RolloutWorkerTest.DIGITS.generate(prompts, params);
        };
        List<Rollout> clean;
        try (LocalRolloutSource s = new LocalRolloutSource(i -> worker(RolloutWorkerTest.DIGITS), () -> 0, 2, 2, 0)) {
            clean = s.collect(REQUEST);
        }
        try (LocalRolloutSource s = new LocalRolloutSource(i -> worker(flaky), () -> 0, 2, 2, 3)) {
            List<Rollout> recovered = s.collect(REQUEST);
            for (int i = 0; i < clean.size(); i++) {
                assertArrayEquals(clean.get(i).tokens(), recovered.get(i).tokens(), "rollout " + i);
            }
        }
    }

    @Test
    void persistentFailureStopsNamingTheWorkerAndCause() {
        Generator broken = (prompts, params) -> {
            throw new IllegalStateException("GPU fell off the bus");
        };
        try (LocalRolloutSource s = new LocalRolloutSource(i -> worker(broken), () -> 0, 2, 5, 1)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.collect(REQUEST));
            assertThat(e.getMessage())
                    .contains("rollout worker")
                    .contains("after 2 attempts")
                    .contains("GPU fell off the bus");
        }
    }
}
