package dev.revise.envs.code;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.envs.tasks.JsonlLine;
import dev.revise.envs.tasks.JsonlTasks;
import dev.revise.rl.Task;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Python code tasks. Two shapes, told apart by their metadata so a verifier needs no format name:
 *
 * <ul>
 *   <li>HumanEval: {@code prompt} is a function signature with its docstring, the answer its body;
 *       metadata {@code test} (a program defining {@code check(candidate)}) and {@code entry_point}.
 *   <li>MBPP: {@code text} describes the function; the prompt adds the asserts (as MBPP's own
 *       prompts do, since they fix the function's name and signature); the answer is {@code code};
 *       metadata {@code test_list} (a JSON array of assert statements) and optionally {@code
 *       test_setup_code}.
 * </ul>
 */
public final class CodeTasks {
    public static final String HUMANEVAL = "humaneval";
    public static final String MBPP = "mbpp";
    public static final String TEST = "test";
    public static final String ENTRY_POINT = "entry_point";
    public static final String TEST_LIST = "test_list";
    public static final String TEST_SETUP_CODE = "test_setup_code";

    private static final ObjectMapper JSON = new ObjectMapper();

    private CodeTasks() {}

    /** HumanEval (164 problems, MIT; see data/humaneval/LICENSE.md). */
    public static List<Task> humanEval() {
        return JsonlTasks.resource("data/humaneval/HumanEval.jsonl.gz", HUMANEVAL, CodeTasks::humanEvalTask);
    }

    /** A HumanEval-format file ({@code task_id, prompt, canonical_solution, test, entry_point}). */
    public static List<Task> humanEval(Path file) {
        return JsonlTasks.read(file, CodeTasks::humanEvalTask);
    }

    /**
     * An MBPP-style file ({@code text, code, test_list}, optional {@code task_id} and {@code
     * test_setup_code}). Ids are {@code mbpp/<task_id>}, or {@code <file>-<line>} without one.
     */
    public static List<Task> mbpp(Path file) {
        return JsonlTasks.read(file, CodeTasks::mbppTask);
    }

    static Task humanEvalTask(JsonlLine line) {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("source", HUMANEVAL);
        metadata.put(TEST, line.text(TEST));
        metadata.put(ENTRY_POINT, line.text(ENTRY_POINT).strip());
        // Not stripped: the canonical solution is an indented function body.
        return new Task(line.text("task_id"), line.text("prompt"), line.text("canonical_solution"), metadata);
    }

    static Task mbppTask(JsonlLine line) {
        String text = line.text("text");
        String code = line.text("code");
        List<String> tests = line.textList(TEST_LIST);
        String id = line.optionalText("task_id").map(t -> "mbpp/" + t).orElseGet(line::lineId);
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("source", MBPP);
        metadata.put(TEST_LIST, toJson(tests));
        line.optionalText(TEST_SETUP_CODE).filter(s -> !s.isBlank()).ifPresent(s -> metadata.put(TEST_SETUP_CODE, s));
        String prompt = text.strip() + "\nYour code should pass these tests:\n\n" + String.join("\n", tests) + "\n";
        return new Task(id, prompt, code, metadata);
    }

    /** Whether a task carries what {@link CodeVerifier} needs. */
    public static boolean isCodeTask(Task task) {
        return task.metadata().containsKey(TEST_LIST)
                || (task.metadata().containsKey(TEST) && task.metadata().containsKey(ENTRY_POINT));
    }

    /** The asserts of an MBPP task. */
    public static List<String> testList(Task task) {
        String json = task.require(TEST_LIST);
        try {
            return List.of(JSON.readValue(json, String[].class));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "task '" + task.id() + "': metadata 'test_list' is not a JSON list of strings: " + json);
        }
    }

    private static String toJson(List<String> tests) {
        try {
            return JSON.writeValueAsString(tests);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
