package dev.revise.envs.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.revise.rl.Task;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlTasksTest {
    @TempDir
    Path dir;

    @Test
    void shippedDatasetsLoad() {
        List<Task> gsm = JsonlTasks.gsm8kTest();
        assertEquals(1319, gsm.size());
        assertEquals("18", gsm.get(0).answer()); // Janet's ducks
        assertThat(gsm.get(0).metadata().get("reference")).contains("<<16-3-4=9>>");
        assertEquals(500, JsonlTasks.gsm8kTrainSample().size());
        List<Task> math = JsonlTasks.math500();
        assertEquals(500, math.size());
        assertEquals("test/precalculus/807.json", math.get(0).id());
        assertEquals("\\left( 3, \\frac{\\pi}{2} \\right)", math.get(0).answer());
        assertEquals("2", math.get(0).metadata().get("level"));
        assertThat(math.get(0).metadata().get("solution")).contains("\\boxed");
    }

    @Test
    void gsm8kThousandsSeparatorsAreRemoved() {
        assertEquals("1000", JsonlFormat.gsm8kFinalAnswer("so 1,000 in total\n#### 1,000"));
        assertThrows(IllegalArgumentException.class, () -> JsonlFormat.gsm8kFinalAnswer("no final answer"));
    }

    @Test
    void genericFieldsAndMalformedLinesNameTheLine() throws Exception {
        Path f = dir.resolve("mine.jsonl");
        Files.writeString(
                f, "{\"q\": \"1+1\", \"a\": 2, \"k\": \"x1\"}\n\n{\"q\": \"2+2\", \"a\": \"4\", \"k\": \"x2\"}\n");
        List<Task> tasks = JsonlTasks.read(f, JsonlFormat.generic("k", "q", "a"));
        assertEquals(List.of("x1", "x2"), tasks.stream().map(Task::id).toList());
        assertEquals("2", tasks.get(0).answer());

        Files.writeString(f, "{\"q\": \"1+1\", \"a\": 2, \"k\": \"x1\"}\n{\"q\": \"2+2\"\n");
        assertThat(assertThrows(
                                IllegalArgumentException.class,
                                () -> JsonlTasks.read(f, JsonlFormat.generic("k", "q", "a")))
                        .getMessage())
                .contains("mine.jsonl:2")
                .contains("not valid JSON");
        Files.writeString(f, "{\"q\": \"1+1\", \"k\": \"x1\"}\n");
        assertThat(assertThrows(
                                IllegalArgumentException.class,
                                () -> JsonlTasks.read(f, JsonlFormat.generic("k", "q", "a")))
                        .getMessage())
                .contains("mine.jsonl:1")
                .contains("missing field 'a'");
        Files.writeString(f, "{\"q\": \"1\", \"a\": 1, \"k\": \"x\"}\n{\"q\": \"2\", \"a\": 2, \"k\": \"x\"}\n");
        assertThat(assertThrows(
                                IllegalArgumentException.class,
                                () -> JsonlTasks.read(f, JsonlFormat.generic("k", "q", "a")))
                        .getMessage())
                .contains("duplicate task id 'x'");
        assertThat(assertThrows(
                                IllegalArgumentException.class,
                                () -> JsonlTasks.read(dir.resolve("none.jsonl"), JsonlFormat.GSM8K))
                        .getMessage())
                .contains("none.jsonl")
                .contains("not found");
    }
}
