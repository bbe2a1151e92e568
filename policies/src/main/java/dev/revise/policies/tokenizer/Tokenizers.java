package dev.revise.policies.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.policies.checkpoint.CheckpointException;
import dev.revise.rl.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Loads the tokenizer of a checkpoint directory and writes it back. */
public final class Tokenizers {
    private Tokenizers() {}

    /** {@code tokenizer.json}: the Java char-level tokenizer where it fits exactly, else the native one. */
    public static TextTokenizer load(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + ": file not found");
        } catch (IOException e) {
            throw new CheckpointException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject() || !root.path("model").isObject()) {
            throw new CheckpointException(file + ": not a tokenizer.json (no 'model' object)");
        }
        JsonNode model = root.path("model");
        JsonNode unk = model.path("unk_token");
        if (unk.isTextual()
                && model.path("vocab").isObject()
                && !model.path("vocab").has(unk.asText())) {
            boolean added = false;
            for (JsonNode t : root.path("added_tokens")) {
                added |= unk.asText().equals(t.path("content").asText());
            }
            if (!added) {
                // the native library loads such a file, then fails encoding any word it cannot split
                throw new CheckpointException(file + ": model.unk_token '" + unk.asText() + "' is not in model.vocab");
            }
        }
        try {
            if (CharTokenizer.isCharLevel(root)) {
                return CharTokenizer.fromJson(root, file);
            }
            return new HfTokenizer(file, root);
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException(file + ": cannot load tokenizer: " + e.getMessage(), e);
        }
    }

    /** The token pieces of {@code text} (the strings of its ids, as {@code Encoding.tokens}). */
    public static String[] tokens(TextTokenizer tokenizer, String text) {
        if (tokenizer instanceof HfTokenizer h) {
            return h.tokens(text);
        }
        if (tokenizer instanceof CharTokenizer c) {
            return c.tokens(text);
        }
        throw new IllegalArgumentException(
                "no token pieces for " + tokenizer.getClass().getSimpleName());
    }

    /** Writes {@code tokenizer} as {@code dir/tokenizer.json}; a native tokenizer is copied from {@code source}. */
    public static void save(TextTokenizer tokenizer, Path source, Path dir) throws IOException {
        Path target = dir.resolve("tokenizer.json");
        if (tokenizer instanceof CharTokenizer c) {
            c.save(target);
        } else if (source != null) {
            Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
        } else {
            throw new IOException("no tokenizer.json source to copy for "
                    + tokenizer.getClass().getSimpleName());
        }
    }
}
