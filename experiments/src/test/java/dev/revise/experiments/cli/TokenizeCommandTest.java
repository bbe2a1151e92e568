package dev.revise.experiments.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.experiments.cli.CliTest.Result;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code revise tokenize} with the real Qwen3 tokenizer and template. The expected ids, pieces and
 * text were printed by transformers 5.18 ({@code AutoTokenizer.from_pretrained(dir)}: {@code
 * tokenizer(text, add_special_tokens=False)}, {@code convert_ids_to_tokens}, {@code
 * apply_chat_template(messages, add_generation_prompt=True, enable_thinking=False)}); the interop
 * suite compares many more texts and conversations live.
 */
class TokenizeCommandTest {
    static final Path QWEN3 = Path.of("../policies/src/test/resources/tokenizers/qwen3");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @BeforeEach
    void tokenizerDirectory() throws Exception {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(QWEN3.resolve("tokenizer.json.gz")))) {
            Files.copy(in, dir.resolve("tokenizer.json"));
        }
        Files.copy(QWEN3.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
    }

    @Test
    void textGivesTheTokenizersLibrarysIdsAndPieces() throws Exception {
        String text =
                "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. 你好 🙂";
        Result r = CliTest.run("tokenize", "--checkpoint", dir.toString(), "--text", text);
        assertEquals(0, r.status(), r.err());
        JsonNode out = JSON.readTree(r.out());
        assertEquals(
                List.of(
                        45, 4212, 685, 6088, 26111, 311, 220, 19, 23, 315, 1059, 4780, 304, 5813, 11, 323, 1221, 1340,
                        6088, 4279, 438, 1657, 26111, 304, 3217, 13, 220, 108386, 27484),
                JSON.convertValue(out.get("ids"), List.class));
        assertEquals("ĠApril", out.get("tokens").get(13).asText());
        assertEquals("ä½łå¥½", out.get("tokens").get(27).asText());
        assertEquals(text, out.get("text").asText());
    }

    @Test
    void messagesRenderWithTheModelsTemplateAndItsArguments() throws Exception {
        Path messages = dir.resolve("chat.json");
        Files.writeString(
                messages,
                "[{\"role\":\"user\",\"content\":\"What is 2+2?\"},"
                        + "{\"role\":\"assistant\",\"content\":\"<think>\\nadd\\n</think>\\n\\n4\"},"
                        + "{\"role\":\"user\",\"content\":\"Check it.\"}]");
        Result r = CliTest.run(
                "tokenize",
                "--checkpoint",
                dir.toString(),
                "--messages",
                messages.toString(),
                "--add-generation-prompt",
                "--template-arg",
                "enable_thinking=false");
        assertEquals(0, r.status(), r.err());
        JsonNode out = JSON.readTree(r.out());
        assertEquals(
                "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\n"
                        + "Check it.<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
                out.get("text").asText());
        assertEquals(
                List.of(
                        151644, 872, 198, 3838, 374, 220, 17, 10, 17, 30, 151645, 198, 151644, 77091, 198, 19, 151645,
                        198, 151644, 872, 198, 3973, 432, 13, 151645, 198, 151644, 77091, 198, 151667, 271, 151668,
                        271),
                JSON.convertValue(out.get("ids"), List.class));
        assertEquals(out.get("ids").size(), out.get("tokens").size());
    }

    @Test
    void batchLinesAnswerInOrderAndBadLinesNameTheLine() throws Exception {
        Path batch = dir.resolve("batch.jsonl");
        Files.writeString(
                batch,
                "{\"text\": \"hello world\"}\n"
                        + "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"add_generation_prompt\": true}\n");
        Result r = CliTest.run("tokenize", "--checkpoint", dir.toString(), "--batch", batch.toString());
        assertEquals(0, r.status(), r.err());
        List<String> lines = r.out().strip().lines().toList();
        assertEquals(2, lines.size());
        assertEquals("hello world", JSON.readTree(lines.get(0)).get("text").asText());
        assertEquals(
                "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
                JSON.readTree(lines.get(1)).get("text").asText());
        Files.writeString(batch, "{\"text\": \"ok\"}\n{\"message\": []}\n");
        Result bad = CliTest.run("tokenize", "--checkpoint", dir.toString(), "--batch", batch.toString());
        assertEquals(2, bad.status());
        assertThat(bad.err()).contains("batch.jsonl:2");
    }

    @Test
    void messagesWithoutATemplateAreRefused() throws Exception {
        Files.delete(dir.resolve("tokenizer_config.json"));
        Path messages = dir.resolve("chat.json");
        Files.writeString(messages, "[{\"role\":\"user\",\"content\":\"hi\"}]");
        Result r = CliTest.run("tokenize", "--checkpoint", dir.toString(), "--messages", messages.toString());
        assertEquals(2, r.status());
        assertThat(r.err()).contains("no chat template");
    }
}
