package dev.revise.policies.tokenizer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.revise.policies.checkpoint.CheckpointException;
import dev.revise.rl.Message;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;

/**
 * Fuzzes a checkpoint's chat template ({@link HfChatTemplate#load}: {@code chat_template.jinja}
 * or the {@code chat_template} of {@code tokenizer_config.json}) and its rendering of a fixed
 * conversation. Property: loading fails only with a {@link CheckpointException} whose message
 * starts with the file's path; rendering fails only with an {@link IllegalArgumentException}
 * saying {@code chat template failed: line <n>: ...}.
 *
 * <p>Input: the first byte chooses the file (even: {@code chat_template.jinja}, odd: {@code
 * tokenizer_config.json}), the rest is its content; {@code jinja.dict} gives the mutator Jinja's
 * syntax. Regression inputs: {@code
 * src/test/resources/dev/revise/policies/tokenizer/ChatTemplateFuzzTestInputs/}.
 */
class ChatTemplateFuzzTest {
    private static final List<Message> CONVERSATION = List.of(
            Message.system("You are helpful."),
            Message.user("What is 2 + 2?"),
            Message.assistant("5"),
            Message.user("The answer is incorrect. Please try again."));
    private static Path dir;

    @DictionaryFile(resourcePath = "/dev/revise/policies/tokenizer/jinja.dict")
    @FuzzTest(maxDuration = "30s")
    void loadAndRenderChatTemplate(byte[] data) throws IOException {
        if (data.length == 0) {
            return;
        }
        Path d = dir();
        Path jinja = d.resolve("chat_template.jinja");
        Path config = d.resolve("tokenizer_config.json");
        Files.deleteIfExists(jinja);
        Files.deleteIfExists(config);
        Path file = (data[0] & 1) == 0 ? jinja : config;
        Files.write(file, Arrays.copyOfRange(data, 1, data.length));
        Optional<HfChatTemplate> template;
        try {
            template = HfChatTemplate.load(d);
        } catch (CheckpointException e) {
            assertTrue(
                    e.getMessage() != null && e.getMessage().startsWith(file + ": "),
                    () -> "the error does not start with the file: " + e);
            return;
        }
        if (template.isEmpty()) {
            return;
        }
        for (boolean addGenerationPrompt : new boolean[] {true, false}) {
            try {
                template.get().render(CONVERSATION, addGenerationPrompt);
            } catch (IllegalArgumentException e) {
                assertTrue(
                        e.getClass() == IllegalArgumentException.class
                                && e.getMessage().matches("(?s)^chat template failed: line \\d+: .*"),
                        () -> "the render error does not name the template line: " + e);
            }
        }
    }

    private static synchronized Path dir() throws IOException {
        if (dir == null) {
            dir = Files.createTempDirectory("revise-fuzz-chat-template");
        }
        return dir;
    }

    @AfterAll
    static void deleteFiles() throws IOException {
        if (dir != null) {
            Files.deleteIfExists(dir.resolve("chat_template.jinja"));
            Files.deleteIfExists(dir.resolve("tokenizer_config.json"));
            Files.deleteIfExists(dir);
        }
    }
}
