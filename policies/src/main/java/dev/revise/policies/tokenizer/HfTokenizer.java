package dev.revise.policies.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import dev.revise.rl.TextTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A Hugging Face {@code tokenizer.json} through DJL's native tokenizers binding, with truncation
 * and padding switched off (DJL would otherwise cut at 512 tokens with only a warning).
 */
public final class HfTokenizer implements TextTokenizer, AutoCloseable {
    private final Path file;
    private final HuggingFaceTokenizer tokenizer;
    private final int vocabSize;
    private final Map<String, Integer> specialIds;

    HfTokenizer(Path file, JsonNode root) throws IOException {
        this.file = file;
        this.tokenizer = HuggingFaceTokenizer.newInstance(
                file,
                Map.of(
                        "addSpecialTokens",
                        "false",
                        "truncation",
                        "false",
                        "padding",
                        "false",
                        "modelMaxLength",
                        "100000000"));
        int max = -1;
        for (JsonNode id : root.path("model").path("vocab")) {
            max = Math.max(max, id.asInt());
        }
        java.util.Map<String, Integer> specials = new java.util.HashMap<>();
        for (JsonNode added : root.path("added_tokens")) {
            max = Math.max(max, added.path("id").asInt());
            specials.put(added.path("content").asText(), added.path("id").asInt());
        }
        this.vocabSize = max + 1;
        this.specialIds = Map.copyOf(specials);
    }

    @Override
    public int[] encode(String text) {
        long[] ids = nativeEncode(text).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    /** The token pieces of {@code text} as the tokenizers library names them (e.g. {@code Ġthe}). */
    public String[] tokens(String text) {
        return nativeEncode(text).getTokens();
    }

    /**
     * The native library's encoding; its errors (e.g. WordPiece's "Missing [UNK] token from the
     * vocabulary" for a word it cannot split) name the tokenizer file.
     */
    private Encoding nativeEncode(String text) {
        try {
            return tokenizer.encode(text, false, false);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": the tokenizer cannot encode the text: " + e.getMessage(), e);
        }
    }

    @Override
    public String decode(int[] ids, boolean skipSpecial) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return tokenizer.decode(l, skipSpecial);
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public OptionalInt bosId() {
        return firstOf("<bos>", "<s>", "<|begin_of_text|>", "<|endoftext|>");
    }

    @Override
    public OptionalInt eosId() {
        return firstOf("<eos>", "</s>", "<|end_of_text|>", "<|im_end|>", "<|endoftext|>");
    }

    @Override
    public OptionalInt tokenId(String token) {
        Integer id = specialIds.get(token);
        if (id != null) {
            return OptionalInt.of(id);
        }
        int[] ids = encode(token);
        return ids.length == 1 ? OptionalInt.of(ids[0]) : OptionalInt.empty();
    }

    private OptionalInt firstOf(String... names) {
        for (String n : names) {
            Integer id = specialIds.get(n);
            if (id != null) {
                return OptionalInt.of(id);
            }
        }
        return OptionalInt.empty();
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
