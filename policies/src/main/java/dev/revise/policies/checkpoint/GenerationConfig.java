package dev.revise.policies.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What revise reads of a checkpoint's {@code generation_config.json}: the end-of-sequence ids
 * (an id or a list, as Llama 3 Instruct's {@code [128001, 128008, 128009]}). Sampling settings in
 * it are the model author's suggestions; revise samples with its own {@code sampling.*} config.
 */
public record GenerationConfig(int bosTokenId, List<Integer> eosTokenIds) {
    public static final String FILE = "generation_config.json";
    public static final GenerationConfig NONE = new GenerationConfig(-1, List.of());

    public GenerationConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /** The file of {@code dir}, or {@link #NONE} when there is none; errors name the file and key. */
    public static GenerationConfig read(Path dir) {
        Path f = dir.resolve(FILE);
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(f));
        } catch (NoSuchFileException e) {
            return NONE;
        } catch (IOException e) {
            throw new CheckpointException(f + ": not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException(f + ": not a JSON object");
        }
        List<Integer> eos = new ArrayList<>();
        JsonNode e = root.get("eos_token_id");
        if (e != null && !e.isNull()) {
            for (JsonNode id : e.isArray() ? e : List.of(e)) {
                if (!id.canConvertToInt() || !id.isIntegralNumber() || id.asInt() < 0) {
                    throw new CheckpointException(f + ": key 'eos_token_id' must be an id or a list of ids, got " + e);
                }
                eos.add(id.asInt());
            }
        }
        JsonNode b = root.get("bos_token_id");
        int bos = b != null && b.isIntegralNumber() ? b.asInt() : -1;
        return new GenerationConfig(bos, eos);
    }

    public void write(Path dir) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        root.put("_from_model_config", true);
        if (bosTokenId >= 0) {
            root.put("bos_token_id", bosTokenId);
        }
        if (eosTokenIds.size() == 1) {
            root.put("eos_token_id", eosTokenIds.get(0));
        } else if (!eosTokenIds.isEmpty()) {
            eosTokenIds.forEach(root.putArray("eos_token_id")::add);
        }
        Files.writeString(dir.resolve(FILE), json.writeValueAsString(root) + "\n");
    }
}
