package dev.revise.envs.code;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.revise.rl.Task;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CodeTasksTest {
    @TempDir
    Path dir;

    @Test
    void shippedHumanEvalLoads() {
        List<Task> tasks = CodeTasks.humanEval();
        assertThat(tasks).hasSize(164);
        Task first = tasks.get(0);
        assertThat(first.id()).isEqualTo("HumanEval/0");
        assertThat(first.prompt()).startsWith("from typing import List").contains("def has_close_elements(");
        assertThat(first.answer()).startsWith("    for idx, elem in enumerate(numbers):");
        assertThat(first.require(CodeTasks.ENTRY_POINT)).isEqualTo("has_close_elements");
        assertThat(first.require(CodeTasks.TEST)).contains("def check(candidate):");
        assertThat(first.metadata()).containsEntry("source", "humaneval");
        assertThat(tasks).allMatch(CodeTasks::isCodeTask);
    }

    @Test
    void humanEvalFileErrorsNameTheLineAndField() throws Exception {
        Path f = dir.resolve("he.jsonl");
        Files.writeString(
                f,
                "{\"task_id\": \"a\", \"prompt\": \"def f():\\n\", \"canonical_solution\": \"    return 1\\n\","
                        + " \"test\": \"def check(c):\\n    assert c() == 1\\n\", \"entry_point\": \"f\"}\n"
                        + "{\"task_id\": \"b\", \"prompt\": \"def g():\\n\", \"canonical_solution\": \"x\","
                        + " \"test\": \"t\"}\n");
        assertThatThrownBy(() -> CodeTasks.humanEval(f))
                .hasMessageContaining("he.jsonl:2")
                .hasMessageContaining("missing field 'entry_point'");
    }

    @Test
    void mbppFilesLoadWithOptionalIdsAndSetupCode() throws Exception {
        Path f = dir.resolve("mbpp-mine.jsonl");
        Files.writeString(
                f,
                "{\"task_id\": 11, \"text\": \"Write a function to add two numbers.\", \"code\":"
                        + " \"def add(a, b):\\n    return a + b\", \"test_list\": [\"assert add(1, 2) == 3\","
                        + " \"assert add(0, 0) == 0\"], \"test_setup_code\": \"\"}\n"
                        + "{\"text\": \"Double it.\", \"code\": \"def dbl(x):\\n    return 2 * x\", \"test_list\":"
                        + " [\"assert dbl(2) == 4\"], \"test_setup_code\": \"import math\"}\n");
        List<Task> tasks = CodeTasks.mbpp(f);
        assertThat(tasks).extracting(Task::id).containsExactly("mbpp/11", "mbpp-mine-2");
        Task add = tasks.get(0);
        assertThat(add.prompt())
                .startsWith("Write a function to add two numbers.")
                .contains("assert add(1, 2) == 3");
        assertThat(add.answer()).startsWith("def add(a, b):");
        assertThat(CodeTasks.testList(add)).containsExactly("assert add(1, 2) == 3", "assert add(0, 0) == 0");
        assertThat(add.metadata()).doesNotContainKey(CodeTasks.TEST_SETUP_CODE);
        assertThat(tasks.get(1).require(CodeTasks.TEST_SETUP_CODE)).isEqualTo("import math");
        assertThat(tasks).allMatch(CodeTasks::isCodeTask);
    }

    @Test
    void mbppErrorsNameTheLineAndField() throws Exception {
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(f, "{\"text\": \"t\", \"code\": \"c\"}\n");
        assertThatThrownBy(() -> CodeTasks.mbpp(f))
                .hasMessageContaining("bad.jsonl:1")
                .hasMessageContaining("missing field 'test_list'");
        Files.writeString(
                f,
                "{\"text\": \"t\", \"code\": \"c\", \"test_list\": [\"assert 1\"]}\n"
                        + "{\"text\": \"t\", \"code\": \"c\", \"test_list\": \"assert 1\"}\n");
        assertThatThrownBy(() -> CodeTasks.mbpp(f))
                .hasMessageContaining("bad.jsonl:2")
                .hasMessageContaining("'test_list' must be a non-empty list of strings");
        Files.writeString(f, "{\"text\": \"t\", \"code\": \"c\", \"test_list\": [1]}\n");
        assertThatThrownBy(() -> CodeTasks.mbpp(f))
                .hasMessageContaining("bad.jsonl:1")
                .hasMessageContaining("element 1");
        Files.writeString(f, "{\"code\": \"c\", \"test_list\": [\"assert 1\"]}\n");
        assertThatThrownBy(() -> CodeTasks.mbpp(f))
                .hasMessageContaining("bad.jsonl:1")
                .hasMessageContaining("'text'");
        Files.writeString(f, "{\"text\": \"t\", \"code\": \"c\", \"test_list\": [\"assert 1\"]\n");
        assertThatThrownBy(() -> CodeTasks.mbpp(f))
                .hasMessageContaining("bad.jsonl:1")
                .hasMessageContaining("not valid JSON");
        Files.writeString(
                f,
                "{\"task_id\": 1, \"text\": \"t\", \"code\": \"c\", \"test_list\": [\"assert 1\"]}\n"
                        + "{\"task_id\": 1, \"text\": \"t\", \"code\": \"c\", \"test_list\": [\"assert 1\"]}\n");
        assertThatThrownBy(() -> CodeTasks.mbpp(f)).hasMessageContaining("duplicate task id 'mbpp/1'");
    }
}
