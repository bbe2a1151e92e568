package dev.revise.experiments.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A resolved run configuration: the defaults ({@code revise/defaults.yaml}, one section per
 * component), a YAML file merged over them, then {@code --set a.b.c=value} overrides merged last.
 *
 * <p>The defaults are also the schema: a key that is not in the defaults is unknown, and a value
 * whose kind (number, boolean, text, list, map) differs from the default's is a wrong type; both
 * fail naming the source and the dotted path. Maps listed in {@link #OPEN} (reward terms) take any
 * keys: their own parser validates them. Typed accessors check ranges and name the path too.
 */
public final class ConfigTree {
    /** Sections whose keys are free (validated by the component that reads them). */
    public static final Set<String> OPEN =
            Set.of("rewards", "rewards_stage1", "policy.template_args", "rollout.resources_per_worker");

    /**
     * Keys holding file paths: a relative path in a config file is relative to that file's
     * directory (so shipped configs work from any working directory); in {@code --set}, to the
     * working directory. Dataset names without a path separator or file suffix stay names.
     */
    public static final Set<String> PATH_KEYS =
            Set.of("policy.checkpoint", "task.dataset", "eval.dataset", "rollout.code_search_path");

    static final YAMLMapper YAML = YAMLMapper.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .build();

    private final ObjectNode root;

    private ConfigTree(ObjectNode root) {
        this.root = root;
    }

    /** The built-in defaults alone. */
    public static ConfigTree defaults() {
        try (InputStream in = ConfigTree.class.getResourceAsStream("/revise/defaults.yaml")) {
            if (in == null) {
                throw new IllegalStateException("revise/defaults.yaml is missing from the classpath");
            }
            return new ConfigTree((ObjectNode) YAML.readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException("reading the built-in defaults failed", e);
        }
    }

    /**
     * Defaults, then {@code file} (may be null), then each {@code key=value} of {@code overrides}.
     *
     * @throws IllegalArgumentException naming the file or override and the dotted path
     */
    public static ConfigTree resolve(Path file, List<String> overrides) {
        ConfigTree tree = defaults();
        if (file != null) {
            tree.mergeFile(file);
        }
        for (String o : overrides) {
            tree.set(o);
        }
        return tree;
    }

    /** A resolved config as written by {@link #toYaml()} (e.g. from a checkpoint), checked again. */
    public static ConfigTree parseResolved(String yaml, String source) {
        ConfigTree tree = defaults();
        tree.merge(tree.root, readYaml(yaml, source), "", source);
        return tree;
    }

    private void mergeFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": config file not found");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot be read: " + e.getMessage(), e);
        }
        JsonNode node = readYaml(utf8(bytes, file), file.toString());
        if (node == null || node.isNull() || node.isMissingNode()) {
            return; // an empty file changes nothing
        }
        resolvePaths(node, file);
        merge(root, node, "", file.toString());
    }

    /** The text of a config file; bytes that are not UTF-8 fail naming the file and line. */
    private static String utf8(byte[] bytes, Path file) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(in)
                    .toString();
        } catch (CharacterCodingException e) {
            int line = 1;
            for (int i = 0; i < in.position(); i++) {
                line += bytes[i] == '\n' ? 1 : 0;
            }
            throw new IllegalArgumentException(file + ":" + line + ": not UTF-8 text (byte " + in.position() + ")", e);
        }
    }

    private static void resolvePaths(JsonNode node, Path file) {
        Path base = file.toAbsolutePath().getParent();
        for (String key : PATH_KEYS) {
            String[] parts = key.split("\\.");
            JsonNode parent = node;
            for (int i = 0; i < parts.length - 1 && parent != null; i++) {
                parent = parent.get(parts[i]);
            }
            if (parent instanceof ObjectNode obj && obj.get(parts[parts.length - 1]) != null) {
                JsonNode v = obj.get(parts[parts.length - 1]);
                if (v.isTextual() && looksLikePath(v.asText())) {
                    Path p;
                    try {
                        p = Path.of(v.asText());
                    } catch (InvalidPathException e) {
                        throw new IllegalArgumentException(
                                file + ": " + key + ": not a valid path: " + e.getReason() + ": '" + v.asText() + "'");
                    }
                    if (!p.isAbsolute()) {
                        obj.put(
                                parts[parts.length - 1],
                                base.resolve(p).normalize().toString());
                    }
                }
            }
        }
    }

    /** Whether a value of a path key names a file or directory rather than a built-in name. */
    public static boolean looksLikePath(String v) {
        return v.contains("/") || v.endsWith(".jsonl") || v.endsWith(".gz") || v.startsWith(".");
    }

    private static JsonNode readYaml(String text, String source) {
        try {
            JsonNode node = YAML.readTree(text);
            if (node != null && !node.isNull() && !node.isMissingNode() && !node.isObject()) {
                throw new IllegalArgumentException(source + ": expected a map of sections at the top level");
            }
            return node;
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : ":" + e.getLocation().getLineNr();
            throw new IllegalArgumentException(source + where + ": not valid YAML: " + e.getOriginalMessage(), e);
        }
    }

    /** Applies one {@code a.b.c=value} override; the value is read as YAML (numbers, booleans, lists). */
    public void set(String assignment) {
        int eq = assignment.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("--set " + assignment + ": expected key.path=value");
        }
        String path = assignment.substring(0, eq).strip();
        if (path.isEmpty() || path.startsWith(".") || path.endsWith(".") || path.contains("..")) {
            throw new IllegalArgumentException(
                    "--set " + assignment + ": expected key.path=value, got key '" + path + "'");
        }
        String text = assignment.substring(eq + 1);
        JsonNode value;
        try {
            value = text.isBlank() ? JsonNodeFactory.instance.nullNode() : YAML.readTree(text);
        } catch (JsonProcessingException e) {
            value = JsonNodeFactory.instance.textNode(text); // e.g. "|": not YAML, but fine as text
        }
        if (value == null || value.isMissingNode()) {
            value = JsonNodeFactory.instance.textNode(text);
        }
        ObjectNode overlay = JsonNodeFactory.instance.objectNode();
        ObjectNode at = overlay;
        String[] parts = path.split("\\.");
        for (int i = 0; i < parts.length - 1; i++) {
            at = at.putObject(parts[i]);
        }
        at.set(parts[parts.length - 1], value);
        merge(root, overlay, "", "--set " + assignment);
    }

    private void merge(ObjectNode base, JsonNode overlay, String prefix, String source) {
        for (Map.Entry<String, JsonNode> e : overlay.properties()) {
            String key = e.getKey();
            String path = prefix.isEmpty() ? key : prefix + "." + key;
            JsonNode value = e.getValue();
            requireFinite(value, path, source);
            boolean open = isOpen(path);
            if (!base.has(key) && !open) {
                throw new IllegalArgumentException(source + ": " + path + ": unknown key; known keys"
                        + (prefix.isEmpty() ? "" : " under " + prefix) + ": " + new TreeSet<>(fieldNames(base)));
            }
            JsonNode current = base.get(key);
            if (open && (current == null || current.isNull() || !current.isObject() || !value.isObject())) {
                base.set(key, value.deepCopy());
            } else if (current != null && current.isObject()) {
                if (!value.isObject()) {
                    throw new IllegalArgumentException(
                            source + ": " + path + ": expected a map, got " + describe(value));
                }
                merge((ObjectNode) current, value, path, source);
            } else {
                checkKind(current, value, path, source);
                base.set(key, value.deepCopy());
            }
        }
    }

    /**
     * Refuses numbers beyond double range ({@code 1e400} reads as Infinity, which the resolved
     * config would write as the text {@code Infinity}, so a checkpoint's config would not read back).
     */
    private static void requireFinite(JsonNode value, String path, String source) {
        if (value.isFloatingPointNumber() && !Double.isFinite(value.asDouble())) {
            throw new IllegalArgumentException(
                    source + ": " + path + ": the number is beyond the range of a double (" + value.asText() + ")");
        }
        if (value.isArray()) {
            for (int i = 0; i < value.size(); i++) {
                requireFinite(value.get(i), path + "[" + i + "]", source);
            }
        } else if (value.isObject()) {
            for (Map.Entry<String, JsonNode> e : value.properties()) {
                requireFinite(e.getValue(), path + "." + e.getKey(), source);
            }
        }
    }

    /** Whether {@code path} is an open map of {@link #OPEN} or inside one. */
    private static boolean isOpen(String path) {
        for (String o : OPEN) {
            if (path.equals(o) || path.startsWith(o + ".")) {
                return true;
            }
        }
        return false;
    }

    private static void checkKind(JsonNode current, JsonNode value, String path, String source) {
        if (current == null || current.isNull() || value.isNull()) {
            return; // a default of null takes any kind; the reader checks it
        }
        boolean ok = current.isNumber()
                ? value.isNumber()
                : current.isBoolean()
                        ? value.isBoolean()
                        : current.isArray() ? value.isArray() || value.isValueNode() : value.isValueNode();
        if (!ok) {
            throw new IllegalArgumentException(
                    source + ": " + path + ": expected " + kind(current) + ", got " + describe(value));
        }
    }

    private static String kind(JsonNode n) {
        if (n.isNumber()) {
            return "a number";
        }
        if (n.isBoolean()) {
            return "true or false";
        }
        if (n.isArray()) {
            return "a list (or a single value)";
        }
        return "text";
    }

    private static String describe(JsonNode n) {
        if (n.isObject()) {
            return "a map";
        }
        if (n.isArray()) {
            return "a list " + n;
        }
        return n.isTextual() ? "'" + n.asText() + "'" : n.toString();
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }

    // ---- typed reads; every error names the path ----

    /** The node at a dotted path, or null when the value is null or absent. */
    public JsonNode node(String path) {
        JsonNode at = root;
        for (String part : path.split("\\.")) {
            if (at == null || !at.isObject()) {
                return null;
            }
            at = at.get(part);
        }
        return at == null || at.isNull() ? null : at;
    }

    public boolean isSet(String path) {
        return node(path) != null;
    }

    /** Whether the value at {@code path} equals the built-in default's (both absent or null counts). */
    public boolean isDefault(String path) {
        JsonNode mine = node(path);
        JsonNode theirs = DEFAULTS.node(path);
        if (mine == null || theirs == null) {
            return mine == theirs;
        }
        if (mine.isNumber() && theirs.isNumber()) {
            return mine.asDouble() == theirs.asDouble(); // 0.2 in a file equals the default's 0.2; 1 equals 1.0
        }
        return mine.equals(theirs);
    }

    private static final ConfigTree DEFAULTS = defaults();

    public int integer(String path, long min, long max) {
        JsonNode n = require(path);
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw new IllegalArgumentException(path + ": expected a whole number, got " + describe(n));
        }
        long v = n.asLong();
        if (v < min || v > max) {
            throw new IllegalArgumentException(path + ": expected " + range(min, max) + ", got " + v);
        }
        return Math.toIntExact(v);
    }

    public long longValue(String path) {
        JsonNode n = require(path);
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw new IllegalArgumentException(path + ": expected a whole number, got " + describe(n));
        }
        return n.asLong();
    }

    public double number(String path, double min, double max) {
        JsonNode n = require(path);
        if (!n.isNumber()) {
            throw new IllegalArgumentException(path + ": expected a number, got " + describe(n));
        }
        double v = n.asDouble();
        if (!(v >= min && v <= max)) {
            throw new IllegalArgumentException(path + ": expected a number in [" + min + ", " + max + "], got " + v);
        }
        return v;
    }

    /** A number or a list of numbers (per-turn coefficients: the last value repeats). */
    public double[] numbers(String path, double min, double max) {
        JsonNode n = require(path);
        List<JsonNode> items = new ArrayList<>();
        if (n.isArray()) {
            n.forEach(items::add);
        } else {
            items.add(n);
        }
        if (items.isEmpty()) {
            throw new IllegalArgumentException(path + ": expected a number or a non-empty list of numbers");
        }
        double[] out = new double[items.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode x = items.get(i);
            if (!x.isNumber() || !(x.asDouble() >= min && x.asDouble() <= max)) {
                throw new IllegalArgumentException(
                        path + "[" + i + "]: expected a number in [" + min + ", " + max + "], got " + describe(x));
            }
            out[i] = x.asDouble();
        }
        return out;
    }

    public boolean bool(String path) {
        JsonNode n = require(path);
        if (!n.isBoolean()) {
            throw new IllegalArgumentException(path + ": expected true or false, got " + describe(n));
        }
        return n.asBoolean();
    }

    public String string(String path) {
        JsonNode n = require(path);
        if (!n.isValueNode()) {
            throw new IllegalArgumentException(path + ": expected text, got " + describe(n));
        }
        return n.asText();
    }

    /** Text or null. */
    public String optionalString(String path) {
        JsonNode n = node(path);
        return n == null ? null : string(path);
    }

    /** One of {@code allowed} (case-insensitive; '-' and '_' alike), returned in lower case with '_'. */
    public String choice(String path, String... allowed) {
        String v = string(path).toLowerCase(Locale.ROOT).replace('-', '_');
        for (String a : allowed) {
            if (a.equals(v)) {
                return v;
            }
        }
        throw new IllegalArgumentException(
                path + ": expected one of " + String.join(", ", allowed) + ", got '" + string(path) + "'");
    }

    private JsonNode require(String path) {
        JsonNode n = node(path);
        if (n == null) {
            throw new IllegalArgumentException(path + ": missing; it must be set");
        }
        return n;
    }

    private static String range(long min, long max) {
        if (max == Long.MAX_VALUE || max == Integer.MAX_VALUE) {
            return "a whole number >= " + min;
        }
        return "a whole number in [" + min + ", " + max + "]";
    }

    /** The resolved configuration as YAML (what {@code config.resolved.yaml} holds). */
    public String toYaml() {
        try {
            return YAML.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("config cannot be written as YAML", e);
        }
    }

    /**
     * The dotted paths whose values differ between this config and {@code other}, ignoring the
     * paths under any of {@code ignoredPrefixes} (e.g. the step budget when a run is extended).
     */
    public List<String> differences(ConfigTree other, Set<String> ignoredPrefixes) {
        List<String> out = new ArrayList<>();
        diff(root, other.root, "", ignoredPrefixes, out);
        return out;
    }

    private static void diff(JsonNode a, JsonNode b, String prefix, Set<String> ignored, List<String> out) {
        if (ignored.contains(prefix)) {
            return;
        }
        if (a != null && b != null && a.isObject() && b.isObject()) {
            Set<String> keys = new TreeSet<>(fieldNames(a));
            keys.addAll(fieldNames(b));
            for (String k : keys) {
                diff(a.get(k), b.get(k), prefix.isEmpty() ? k : prefix + "." + k, ignored, out);
            }
            return;
        }
        boolean aNull = a == null || a.isNull();
        boolean bNull = b == null || b.isNull();
        if (aNull != bNull || (!aNull && !a.equals(b))) {
            out.add(prefix + ": " + (aNull ? "null" : a) + " vs " + (bNull ? "null" : b));
        }
    }

    public ConfigTree copy() {
        return new ConfigTree(root.deepCopy());
    }
}
