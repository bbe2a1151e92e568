package dev.revise.policies.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.revise.rl.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * One token per character, for built-in tasks. Saved as a Hugging Face {@code tokenizer.json}
 * (WordLevel model, a Split pre-tokenizer on the regex {@code .}, a Fuse decoder, special tokens
 * as added tokens), so every checkpoint is self-contained and readable by the {@code tokenizers}
 * library; encoding and decoding here run in Java with no native call.
 *
 * <p>Ids without a token (a model's vocabulary may be larger than its tokenizer's) decode to
 * nothing, as in Hugging Face tokenizers.
 *
 * <p>Special tokens ({@code <pad>}, {@code <bos>}, {@code <eos>}, ...) are matched as whole
 * strings before characters. A character outside the vocabulary maps to {@code <unk>}, or is an
 * error if there is none.
 */
public final class CharTokenizer implements TextTokenizer {
    private final Map<String, Integer> vocab; // id order
    private final String[] byId;
    private final List<String> specials; // longest first
    private final java.util.Set<Integer> specialIds;
    private final OptionalInt unk;

    private CharTokenizer(Map<String, Integer> vocab, List<String> specials) {
        this.vocab = vocab;
        int size = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        this.byId = new String[size];
        vocab.forEach((tok, id) -> byId[id] = tok);
        this.specials = new ArrayList<>(specials);
        this.specials.sort((a, b) -> b.length() - a.length());
        this.specialIds = new java.util.HashSet<>();
        for (String s : specials) {
            specialIds.add(vocab.get(s));
        }
        Integer u = vocab.get("<unk>");
        this.unk = u == null ? OptionalInt.empty() : OptionalInt.of(u);
    }

    /** Special tokens first ({@code <pad>=0, <bos>=1, <eos>=2, <unk>=3}, then {@code extraSpecials}), then each character. */
    public static CharTokenizer of(String alphabet, List<String> extraSpecials) {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        List<String> specials = new ArrayList<>(List.of("<pad>", "<bos>", "<eos>"));
        specials.addAll(extraSpecials);
        for (String s : List.of("<pad>", "<bos>", "<eos>", "<unk>")) {
            vocab.put(s, vocab.size());
        }
        for (String s : extraSpecials) {
            if (vocab.putIfAbsent(s, vocab.size()) != null) {
                throw new IllegalArgumentException("duplicate special token '" + s + "'");
            }
        }
        alphabet.codePoints().distinct().forEach(cp -> {
            String ch = new String(Character.toChars(cp));
            if (vocab.putIfAbsent(ch, vocab.size()) != null) {
                throw new IllegalArgumentException("character '" + ch + "' collides with a special token");
            }
        });
        return new CharTokenizer(vocab, specials);
    }

    /** The printable ASCII tokenizer of the test fixture (vocabulary 97). */
    public static CharTokenizer printableAscii() {
        StringBuilder sb = new StringBuilder();
        for (char c = '!'; c <= '~'; c++) {
            sb.append(c);
        }
        return of(sb.toString(), List.of());
    }

    /** True if {@code tokenizer.json} has the layout this class writes (and can read exactly). */
    public static boolean isCharLevel(JsonNode root) {
        JsonNode model = root.path("model");
        JsonNode pre = root.path("pre_tokenizer");
        return "WordLevel".equals(model.path("type").asText())
                && "Split".equals(pre.path("type").asText())
                && ".".equals(pre.path("pattern").path("Regex").asText())
                && "Isolated".equals(pre.path("behavior").asText())
                && "Fuse".equals(root.path("decoder").path("type").asText())
                && root.path("normalizer").isNull()
                && model.path("vocab").isObject();
    }

    public static CharTokenizer fromJson(JsonNode root, Path file) {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        root.path("model").path("vocab").properties().forEach(e -> {
            if (!e.getValue().canConvertToInt()) {
                throw new IllegalArgumentException(file + ": model.vocab['" + e.getKey() + "'] is not an integer id");
            }
            vocab.put(e.getKey(), e.getValue().asInt());
        });
        Map<Integer, String> seen = new HashMap<>();
        vocab.forEach((tok, id) -> {
            if (id < 0 || seen.put(id, tok) != null) {
                throw new IllegalArgumentException(file + ": model.vocab id " + id + " is negative or used twice");
            }
            if (tok.codePointCount(0, tok.length()) != 1 && !tok.startsWith("<")) {
                throw new IllegalArgumentException(file + ": model.vocab entry '" + tok + "' is not one character");
            }
        });
        List<String> specials = new ArrayList<>();
        for (JsonNode added : root.path("added_tokens")) {
            String content = added.path("content").asText();
            if (!vocab.containsKey(content)) {
                throw new IllegalArgumentException(
                        file + ": added_tokens entry '" + content + "' is not in model.vocab");
            }
            specials.add(content);
        }
        return new CharTokenizer(vocab, specials);
    }

    public JsonNode toJson() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (String s :
                specials.stream().sorted((a, b) -> vocab.get(a) - vocab.get(b)).toList()) {
            ObjectNode t = added.addObject();
            t.put("id", vocab.get(s));
            t.put("content", s);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Split");
        pre.putObject("pattern").put("Regex", ".");
        pre.put("behavior", "Isolated");
        pre.put("invert", false);
        root.putNull("post_processor");
        root.putObject("decoder").put("type", "Fuse");
        ObjectNode model = root.putObject("model");
        model.put("type", "WordLevel");
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        model.put("unk_token", "<unk>");
        return root;
    }

    public void save(Path file) throws IOException {
        Files.writeString(file, new ObjectMapper().writeValueAsString(toJson()));
    }

    @Override
    public int[] encode(String text) {
        int[] out = new int[text.length()];
        int n = 0;
        int i = 0;
        outer:
        while (i < text.length()) {
            if (text.charAt(i) == '<') {
                for (String s : specials) {
                    if (text.startsWith(s, i)) {
                        out[n++] = vocab.get(s);
                        i += s.length();
                        continue outer;
                    }
                }
            }
            int cp = text.codePointAt(i);
            String ch = new String(Character.toChars(cp));
            Integer id = vocab.get(ch);
            if (id == null) {
                if (unk.isEmpty()) {
                    throw new IllegalArgumentException(
                            "character '" + ch + "' at index " + i + " is not in the vocabulary");
                }
                id = unk.getAsInt();
            }
            out[n++] = id;
            i += Character.charCount(cp);
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** The token pieces of {@code text}: the vocabulary entry of each id. */
    public String[] tokens(String text) {
        int[] ids = encode(text);
        String[] out = new String[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = byId[ids[i]];
        }
        return out;
    }

    @Override
    public String decode(int[] ids, boolean skipSpecial) {
        StringBuilder sb = new StringBuilder(ids.length);
        for (int id : ids) {
            if (id < 0 || id >= byId.length || byId[id] == null) {
                // Models often have more rows than the tokenizer has tokens; like Hugging Face
                // tokenizers, such ids decode to nothing.
                continue;
            }
            if (skipSpecial && specialIds.contains(id)) {
                continue;
            }
            sb.append(byId[id]);
        }
        return sb.toString();
    }

    @Override
    public int vocabSize() {
        return byId.length;
    }

    @Override
    public OptionalInt bosId() {
        return idOf("<bos>");
    }

    @Override
    public OptionalInt eosId() {
        return idOf("<eos>");
    }

    @Override
    public OptionalInt tokenId(String token) {
        return idOf(token);
    }

    private OptionalInt idOf(String token) {
        Integer id = vocab.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }
}
