package dev.revise.rl.learn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.revise.rl.SamplingParams;
import dev.revise.rl.Task;
import dev.revise.rl.TaskSource;
import dev.revise.rl.rollout.RolloutRequest;
import dev.revise.rl.rollout.RolloutSource;
import dev.revise.rl.train.LearningRateSchedule;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CollectedTest {
    /** Before: a task served twice in one batch shared its id, hence its group and its seeds. */
    @Test
    void aTaskServedTwiceInOneBatchBecomesTwoGroups() {
        Task t = new Task("p7", "1+1", "2");
        TaskSource twice = new TaskSource() {
            @Override
            public Task next() {
                return t;
            }

            @Override
            public long size() {
                return 1;
            }

            @Override
            public TaskCursor cursor() {
                return new TaskCursor(0, 0);
            }

            @Override
            public void restore(TaskCursor c) {}
        };
        List<RolloutRequest> seen = new ArrayList<>();
        RolloutSource capture = new RolloutSource() {
            @Override
            public List<dev.revise.rl.rollout.Rollout> collect(RolloutRequest r) {
                seen.add(r);
                return List.of();
            }

            @Override
            public void close() {}
        };
        Collected c = Collected.next(twice, capture, 3, 2, 1, 0, SamplingParams.sample(4));
        List<String> ids = c.tasks().stream().map(Task::id).toList();
        assertEquals(List.of("p7", "p7~2", "p7~3"), ids);
        assertEquals(ids, seen.get(0).tasks().stream().map(Task::id).toList());
        assertEquals(t.prompt(), c.tasks().get(2).prompt());
    }

    /** SCoRe's Stage II optimizer continues the run's schedule where Stage I's ends. */
    @Test
    void aScheduleOffsetContinuesTheCurve() {
        LearningRateSchedule s = new LearningRateSchedule(1.0, 2, 10, 0.1);
        PolicyOptimizer.Config first = new PolicyOptimizer.Config(s, dev.revise.rl.train.AdamW.Config.defaults());
        PolicyOptimizer.Config second = first.startingAt(6);
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager();
                PolicyOptimizer a = new PolicyOptimizer(m, first);
                PolicyOptimizer b = new PolicyOptimizer(m, second)) {
            assertEquals(s.at(0), a.learningRate());
            assertEquals(s.at(6), b.learningRate());
            assertNotEquals(s.at(0), b.learningRate());
            b.idleStep();
            assertEquals(s.at(7), b.learningRate(), "an idle step moves the schedule on");
        }
    }
}
