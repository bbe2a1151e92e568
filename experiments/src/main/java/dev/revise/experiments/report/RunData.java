package dev.revise.experiments.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What a report reads from one run directory: its variant and seed (from sweep.json or the
 * resolved config), the metric curves of metrics.jsonl, and the final evaluation (the eval.json
 * of the last evaluated step, with per-episode outcomes for paired tests).
 *
 * @param curves metric name to (step, value) points
 * @param finalEval the last eval.json
 * @param correct per episode, correct at each turn (same task order in every run of a sweep)
 * @param trainedTurns the run's {@code env.turns} (config.resolved.yaml; else its last evaluation's)
 * @param evals every evaluation of the run ({@code eval/<name>/eval.json}: the training's periodic
 *     ones and those of {@code revise eval}, e.g. at other turns or under a probe), by name
 */
public record RunData(
        String variant,
        long seed,
        Path dir,
        Map<String, List<double[]>> curves,
        JsonNode finalEval,
        List<String> taskIds,
        List<int[]> correct,
        int trainedTurns,
        List<EvalFile> evals) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One eval.json of a run.
     *
     * @param name its directory under {@code eval/}
     * @param step the checkpoint it evaluated (the name's {@code step-N} prefix; -1 if none)
     */
    public record EvalFile(String name, long step, JsonNode json) {
        /** Attempts per episode. */
        public int turns() {
            return json.path("turns").asInt();
        }

        /** The probe's mode; "own" for a plain evaluation (and files written before the probe existed). */
        public String intervene() {
            return json.path("intervene").asText("own");
        }

        /** Per episode (in file order) its task id; empty without per_episode. */
        public List<String> taskIds() {
            List<String> ids = new ArrayList<>();
            json.path("per_episode").path("task_ids").forEach(t -> ids.add(t.asText()));
            return ids;
        }
    }

    public double accuracy(int turn) {
        return finalEval.get("accuracy").get(turn).asDouble();
    }

    public int turns() {
        return finalEval.get("turns").asInt();
    }

    public double delta() {
        return finalEval.get("delta").asDouble();
    }

    public double metric(String field) {
        return finalEval.get(field).asDouble();
    }

    /**
     * Tokens generated in training up to and including {@code step}: the sum of {@code
     * batch/generated_tokens} (0 for a run that samples nothing, e.g. SFT; a step logged twice, as
     * after a resume, counts once).
     */
    public double generatedTokens(long step) {
        Map<Double, Double> perStep = new TreeMap<>();
        for (double[] p : curves.getOrDefault("batch/generated_tokens", List.of())) {
            if (p[0] <= step) {
                perStep.put(p[0], p[1]);
            }
        }
        return perStep.values().stream().mapToDouble(Double::doubleValue).sum();
    }

    /** Whether the final evaluation has several episodes of some problem (eval.samples > 1). */
    public boolean repeatsProblems() {
        return new java.util.HashSet<>(taskIds).size() < taskIds.size();
    }

    /** Reads a run; the error names the file that is missing or malformed. */
    public static RunData read(Path dir, String variant, long seed) throws IOException {
        Path metrics = dir.resolve("metrics.jsonl");
        if (!Files.isRegularFile(metrics)) {
            throw new IllegalArgumentException(dir + ": not a run directory (no metrics.jsonl)");
        }
        Map<String, List<double[]>> curves = new TreeMap<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(metrics)) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (IOException e) {
                throw new IllegalArgumentException(metrics + ":" + lineNo + ": not valid JSON", e);
            }
            double step = n.path("step").asDouble();
            for (Map.Entry<String, JsonNode> e : n.properties()) {
                if (!e.getKey().equals("step") && e.getValue().isNumber()) {
                    curves.computeIfAbsent(e.getKey(), k -> new ArrayList<>())
                            .add(new double[] {step, e.getValue().asDouble()});
                }
            }
        }
        Path evalDir = dir.resolve("eval");
        Path last = null;
        if (Files.isDirectory(evalDir)) {
            try (Stream<Path> s = Files.list(evalDir)) {
                last = s.filter(p -> p.getFileName().toString().matches("step-\\d+"))
                        .filter(p -> Files.isRegularFile(p.resolve("eval.json")))
                        .max(Path::compareTo)
                        .orElse(null);
            }
        }
        if (last == null) {
            throw new IllegalArgumentException(dir + ": has no evaluation (eval/step-*/eval.json)");
        }
        Path file = last.resolve("eval.json");
        JsonNode eval = JSON.readTree(file.toFile());
        List<String> ids = new ArrayList<>();
        List<int[]> correct = new ArrayList<>();
        JsonNode per = eval.path("per_episode");
        if (per.isObject()) {
            per.get("task_ids").forEach(t -> ids.add(t.asText()));
            for (JsonNode row : per.get("correct")) {
                int[] c = new int[row.size()];
                for (int k = 0; k < c.length; k++) {
                    c[k] = row.get(k).asInt();
                }
                correct.add(c);
            }
        }
        int trainedTurns = eval.path("turns").asInt();
        Path resolved = dir.resolve("config.resolved.yaml");
        if (Files.isRegularFile(resolved)) {
            JsonNode turns = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper()
                    .readTree(resolved.toFile())
                    .path("env")
                    .path("turns");
            trainedTurns = turns.isInt() ? turns.asInt() : trainedTurns;
        }
        return new RunData(variant, seed, dir, curves, eval, ids, correct, trainedTurns, evals(evalDir));
    }

    private static List<EvalFile> evals(Path evalDir) throws IOException {
        List<EvalFile> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(evalDir)) {
            for (Path d : s.sorted().toList()) {
                Path f = d.resolve("eval.json");
                if (!Files.isRegularFile(f)) {
                    continue;
                }
                JsonNode n;
                try {
                    n = JSON.readTree(f.toFile());
                } catch (IOException e) {
                    throw new IllegalArgumentException(f + ": not valid JSON", e);
                }
                if (!n.path("accuracy").isArray() || !n.path("turns").isInt()) {
                    throw new IllegalArgumentException(f + ": not an eval.json (no accuracy or turns)");
                }
                String name = d.getFileName().toString();
                java.util.regex.Matcher m =
                        java.util.regex.Pattern.compile("^step-(\\d+)").matcher(name);
                out.add(new EvalFile(name, m.find() ? Long.parseLong(m.group(1)) : -1, n));
            }
        }
        return out;
    }

    /** The runs of a sweep directory (sweep.json) or a single run directory. */
    public static List<RunData> discover(Path path) throws IOException {
        Path sweep = path.resolve("sweep.json");
        List<RunData> out = new ArrayList<>();
        if (Files.isRegularFile(sweep)) {
            for (JsonNode r : JSON.readTree(sweep.toFile()).get("runs")) {
                Path dir = Path.of(r.get("dir").asText());
                if (Files.isRegularFile(dir.resolve("metrics.jsonl"))) {
                    out.add(read(dir, r.get("variant").asText(), r.get("seed").asLong()));
                }
            }
            if (out.isEmpty()) {
                throw new IllegalArgumentException(sweep + ": none of its runs has started");
            }
            return out;
        }
        Path resolved = path.resolve("config.resolved.yaml");
        String variant = path.getFileName().toString();
        long seed = 0;
        if (Files.isRegularFile(resolved)) {
            JsonNode c = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper().readTree(resolved.toFile());
            JsonNode name = c.path("run").path("name");
            if (name.isTextual()) {
                variant = name.asText();
            }
            seed = c.path("run").path("seed").asLong();
        }
        out.add(read(path, variant, seed));
        return out;
    }

    /** Runs grouped by variant, in first-seen order. */
    public static Map<String, List<RunData>> byVariant(List<RunData> runs) {
        Map<String, List<RunData>> m = new LinkedHashMap<>();
        for (RunData r : runs) {
            m.computeIfAbsent(r.variant(), k -> new ArrayList<>()).add(r);
        }
        return m;
    }
}
