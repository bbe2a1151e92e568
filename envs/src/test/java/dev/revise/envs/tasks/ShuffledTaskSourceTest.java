package dev.revise.envs.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.revise.rl.Task;
import dev.revise.rl.TaskSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ShuffledTaskSourceTest {
    static List<Task> tasks(int n) {
        return IntStream.range(0, n)
                .mapToObj(i -> new Task("t" + i, "p" + i, "" + i))
                .toList();
    }

    static List<String> take(TaskSource s, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(s.next().id());
        }
        return ids;
    }

    @Test
    void everyEpochIsAPermutationAndEpochsDiffer() {
        ShuffledTaskSource s = new ShuffledTaskSource(tasks(20), 7, true);
        List<String> first = take(s, 20);
        List<String> second = take(s, 20);
        assertEquals(20, new HashSet<>(first).size());
        assertEquals(new HashSet<>(first), new HashSet<>(second));
        assertNotEquals(first, second);
        assertEquals(new TaskSource.TaskCursor(1, 20), s.cursor());
    }

    @Test
    void cursorRestoreContinuesExactlyIncludingAtAnEpochBoundary() {
        for (int stop : new int[] {0, 7, 20, 33, 40}) {
            ShuffledTaskSource a = new ShuffledTaskSource(tasks(20), 3, true);
            take(a, stop);
            TaskSource.TaskCursor c = a.cursor();
            List<String> expected = take(a, 25);
            ShuffledTaskSource b = new ShuffledTaskSource(tasks(20), 3, true);
            b.restore(c);
            assertEquals(expected, take(b, 25), "restored after " + stop + " tasks");
        }
    }

    @Test
    void unshuffledServesFileOrder() {
        ShuffledTaskSource s = new ShuffledTaskSource(tasks(3), 1, false);
        assertEquals(List.of("t0", "t1", "t2", "t0"), take(s, 4));
    }
}
