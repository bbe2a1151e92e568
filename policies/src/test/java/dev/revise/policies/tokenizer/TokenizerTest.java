package dev.revise.policies.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.rl.Message;
import dev.revise.rl.TextTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java char-level tokenizer agrees with the native Hugging Face one on the files it writes. */
class TokenizerTest {
    static final Path FIXTURE_TOKENIZER = Path.of("src/test/resources/fixtures/hf-llama-tiny/tokenizer.json");
    static final List<String> TEXTS = List.of("Q: 12+30=?", "A: 42", "<bos>x<eos>", "hello, World! ~{}", "");

    @TempDir
    Path dir;

    @Test
    void fixtureTokenizerLoadsAsCharLevelAndMatchesTheNativeOne() throws Exception {
        TextTokenizer java = Tokenizers.load(FIXTURE_TOKENIZER);
        assertInstanceOf(CharTokenizer.class, java);
        try (HfTokenizer nativeTok =
                new HfTokenizer(FIXTURE_TOKENIZER, new ObjectMapper().readTree(Files.readString(FIXTURE_TOKENIZER)))) {
            assertEquals(97, java.vocabSize());
            assertEquals(97, nativeTok.vocabSize());
            for (String text : TEXTS) {
                assertArrayEquals(nativeTok.encode(text), java.encode(text), "encoding of '" + text + "'");
                int[] ids = java.encode(text);
                assertEquals(nativeTok.decode(ids, true), java.decode(ids, true), "decoding of '" + text + "'");
            }
            assertEquals(1, java.bosId().getAsInt());
            assertEquals(2, java.eosId().getAsInt());
            assertEquals(nativeTok.eosId(), java.eosId());
        }
    }

    @Test
    void writtenTokenizerJsonIsReadByTheNativeLibrary() throws Exception {
        CharTokenizer tok = CharTokenizer.of("0123456789+-=\n abc", List.of("<|im_start|>", "<|im_end|>"));
        Path file = dir.resolve("tokenizer.json");
        tok.save(file);
        try (HfTokenizer nativeTok = new HfTokenizer(file, new ObjectMapper().readTree(Files.readString(file)))) {
            for (String text : List.of("12+3=15\n", "<|im_start|>a\nb<|im_end|>", "c b a")) {
                assertArrayEquals(nativeTok.encode(text), tok.encode(text), "encoding of '" + text + "'");
            }
        }
        CharTokenizer reread = (CharTokenizer) Tokenizers.load(file);
        assertArrayEquals(tok.encode("<|im_start|>12"), reread.encode("<|im_start|>12"));
    }

    @Test
    void noSilentTruncationOfLongTexts() throws Exception {
        String longText = "0123456789".repeat(100); // 1,000 tokens: DJL's default would cut at 512
        try (HfTokenizer nativeTok =
                new HfTokenizer(FIXTURE_TOKENIZER, new ObjectMapper().readTree(Files.readString(FIXTURE_TOKENIZER)))) {
            assertEquals(1000, nativeTok.encode(longText).length);
        }
    }

    @Test
    void unknownCharactersMapToUnkAndSpecialsAreSkippedOnRequest() {
        CharTokenizer tok = CharTokenizer.printableAscii();
        int[] ids = tok.encode("a\u00e9b");
        assertEquals(3, ids.length);
        assertEquals(tok.tokenId("<unk>").getAsInt(), ids[1]);
        assertEquals("ab", tok.decode(tok.encode("<bos>a<eos>b"), true));
        assertEquals("<bos>a<eos>b", tok.decode(tok.encode("<bos>a<eos>b"), false));
    }

    @Test
    void plainFormatConcatenatesContents() {
        assertEquals(
                "Q1+2:1+2=3;A3|",
                ChatFormat.PLAIN.render(
                        List.of(Message.user("Q1+2:"), Message.assistant("1+2=3;A3"), Message.user("|"))));
    }

    @Test
    void chatMlRendersTurnsAndTheAssistantHeader() {
        String text = ChatFormat.CHATML.render(List.of(Message.system("s"), Message.user("u"), Message.assistant("a")));
        assertEquals(
                "<|im_start|>system\ns<|im_end|>\n<|im_start|>user\nu<|im_end|>\n"
                        + "<|im_start|>assistant\na<|im_end|>\n<|im_start|>assistant\n",
                text);
        assertTrue(text.endsWith("<|im_start|>assistant\n"));
    }
}
