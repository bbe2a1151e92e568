package dev.revise.policies.tokenizer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.revise.policies.checkpoint.CheckpointException;
import dev.revise.rl.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;

/**
 * Fuzzes {@code tokenizer.json} loading ({@link Tokenizers#load}): the Java char-level tokenizer
 * and the native Hugging Face one. Property: the file loads and the loaded tokenizer encodes and
 * decodes a fixed text with special tokens (text it cannot encode, e.g. a character outside a
 * vocabulary without {@code <unk>}, may be refused with an {@link IllegalArgumentException}, naming
 * the file for the native tokenizer); or loading fails with a {@link
 * CheckpointException} whose message starts with the file's path. A crash of the native library
 * (which would take the JVM down) is a finding as well.
 *
 * <p>Input: the file. Regression inputs: {@code
 * src/test/resources/dev/revise/policies/tokenizer/TokenizerJsonFuzzTestInputs/}.
 */
class TokenizerJsonFuzzTest {
    private static final String TEXT = "<s>Hello, world! 12 <|im_end|></s><bos>a b<eos><unk><pad>\n";
    private static Path dir;

    @FuzzTest(maxDuration = "30s")
    void loadTokenizerJson(byte[] data) throws Exception {
        Path file = dir().resolve("tokenizer.json");
        Files.write(file, data);
        TextTokenizer tokenizer;
        try {
            tokenizer = Tokenizers.load(file);
        } catch (CheckpointException e) {
            assertTrue(
                    e.getMessage() != null && e.getMessage().startsWith(file + ": "),
                    () -> "the error does not start with the file: " + e);
            return;
        }
        try {
            int[] ids;
            try {
                ids = tokenizer.encode(TEXT);
            } catch (IllegalArgumentException e) {
                assertTrue(
                        tokenizer instanceof CharTokenizer
                                ? e.getMessage().contains("not in the vocabulary")
                                : e.getMessage().startsWith(file + ": the tokenizer cannot encode"),
                        e::toString);
                return;
            }
            tokenizer.decode(ids, false);
            tokenizer.decode(ids, true);
            tokenizer.bosId();
            tokenizer.eosId();
        } finally {
            if (tokenizer instanceof AutoCloseable c) {
                c.close();
            }
        }
    }

    private static synchronized Path dir() throws IOException {
        if (dir == null) {
            dir = Files.createTempDirectory("revise-fuzz-tokenizer");
        }
        return dir;
    }

    @AfterAll
    static void deleteFiles() throws IOException {
        if (dir != null) {
            Files.deleteIfExists(dir.resolve("tokenizer.json"));
            Files.deleteIfExists(dir);
        }
    }
}
