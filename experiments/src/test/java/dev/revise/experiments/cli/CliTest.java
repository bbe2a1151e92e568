package dev.revise.experiments.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The CLI contract of docs/architecture.md section 6 for the commands that exist. */
public class CliTest {
    static final Path FIXTURE = Path.of("../policies/src/test/resources/fixtures/hf-llama-tiny");

    @TempDir
    Path dir;

    public record Result(int status, String out, String err) {}

    public static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = ReviseCli.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int status = cl.execute(args);
        return new Result(status, out.toString(), err.toString());
    }

    @Test
    void helpListsTheCommands() {
        Result r = run("--help");
        assertEquals(0, r.status());
        assertThat(r.out()).contains("init", "logprobs", "generate", "bench", "quickstart");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(
            strings = {
                "quickstart",
                "train",
                "eval",
                "sweep",
                "compare",
                "report",
                "init",
                "logprobs",
                "tokenize",
                "generate",
                "bench",
                "export",
                "grade"
            })
    void everyCommandHasHelp(String command) {
        Result r = run(command, "--help");
        assertEquals(0, r.status(), r.err());
        assertThat(r.out()).startsWith("Usage: revise " + command).contains("--help");
        assertThat(r.err()).isEmpty();
    }

    /** The memory and rollout workloads print the figures the README documents (benchmarks, not timed here). */
    @Test
    void benchPrintsMemoryEstimatesAndRolloutFigures() throws Exception {
        Result memory = run(
                "bench",
                "--shape",
                "tiny",
                "--workload",
                "memory",
                "--batch",
                "2",
                "--seq",
                "16",
                "--lora-rank",
                "4",
                "--checkpointing");
        assertEquals(0, memory.status(), memory.err());
        JsonNode m = new ObjectMapper().readTree(memory.out());
        assertThat(m.get("activations_mb").asDouble()).isPositive();
        assertThat(m.get("adapter_mb").asDouble()).isPositive();
        Result rollout = run(
                "bench",
                "--shape",
                "tiny",
                "--workload",
                "rollout",
                "--turns",
                "2",
                "--group",
                "2",
                "--tasks",
                "2",
                "--reps",
                "1");
        assertEquals(0, rollout.status(), rollout.err());
        JsonNode r = new ObjectMapper().readTree(rollout.out());
        assertThat(r.get("generated_tokens_per_update").asDouble()).isPositive();
        assertThat(r.get("seconds_per_update").asDouble()).isPositive();
        assertEquals(2, r.get("turns").asInt());
        assertThat(r.get("kv_reused_fraction").asDouble()).isPositive();
        Result plain = run(
                "bench",
                "--shape",
                "tiny",
                "--workload",
                "rollout",
                "--turns",
                "2",
                "--group",
                "2",
                "--tasks",
                "2",
                "--reps",
                "1",
                "--no-reuse");
        assertEquals(0, plain.status(), plain.err());
        JsonNode p = new ObjectMapper().readTree(plain.out());
        assertEquals(0.0, p.get("kv_reused_fraction").asDouble());
        assertEquals(false, p.get("reuse").asBoolean());
        Result refused = run("bench", "--shape", "tiny", "--workload", "decode", "--no-reuse");
        assertEquals(2, refused.status());
        assertThat(refused.err()).contains("--no-reuse applies to --workload rollout only");
    }

    @Test
    void logprobsMatchTheFixtureReference() throws Exception {
        JsonNode expected = new ObjectMapper().readTree(Files.readString(FIXTURE.resolve("expected.json")));
        StringBuilder ids = new StringBuilder();
        for (JsonNode t : expected.get("tokens")) {
            ids.append(ids.length() == 0 ? "" : ",").append(t.asInt());
        }
        Result r = run("logprobs", "--checkpoint", FIXTURE.toString(), "--token-ids", ids.toString());
        assertEquals(0, r.status(), r.err());
        JsonNode got = new ObjectMapper().readTree(r.out()).get("logprobs");
        assertEquals(expected.get("logprobs").size(), got.size());
        for (int i = 0; i < got.size(); i++) {
            assertEquals(expected.get("logprobs").get(i).asDouble(), got.get(i).asDouble(), 1e-4, "logprob " + i);
        }
        assertEquals(1, r.out().strip().lines().count(), "stdout must hold only the JSON line");
    }

    @Test
    void outOfRangeIdExitsTwoNamingTheId() {
        Result r = run("logprobs", "--checkpoint", FIXTURE.toString(), "--token-ids", "1,5,97");
        assertEquals(2, r.status());
        assertThat(r.err()).contains("97").contains("vocab_size 97");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void missingCheckpointExitsTwoNamingTheFile() {
        Result r = run("logprobs", "--checkpoint", dir.resolve("nope").toString(), "--token-ids", "1,2");
        assertEquals(2, r.status());
        assertThat(r.err()).contains("nope");
    }

    @Test
    void initThenLogprobsAndGenerate() throws Exception {
        Path ck = dir.resolve("ck");
        Result init = run("init", "--shape", "tiny", "--out", ck.toString(), "--seed", "3");
        assertEquals(0, init.status(), init.err());
        assertThat(new ObjectMapper().readTree(init.out()).get("params").asLong())
                .isGreaterThan(0);
        for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json"}) {
            assertThat(ck.resolve(f)).exists();
        }
        Result again = run("init", "--shape", "tiny", "--out", ck.toString());
        assertEquals(2, again.status(), "init must refuse to overwrite a checkpoint");

        Result lp = run("logprobs", "--checkpoint", ck.toString(), "--token-ids", "1,5,6,7");
        assertEquals(0, lp.status(), lp.err());
        assertEquals(3, new ObjectMapper().readTree(lp.out()).get("logprobs").size());

        Result gen = run(
                "generate",
                "--checkpoint",
                ck.toString(),
                "--prompt",
                "12+3=",
                "--max-new-tokens",
                "5",
                "--samples",
                "2",
                "--temperature",
                "0.7",
                "--top-p",
                "0.9");
        assertEquals(0, gen.status(), gen.err());
        JsonNode completions = new ObjectMapper().readTree(gen.out()).get("completions");
        assertEquals(2, completions.size());
        assertThat(completions.get(0).get("token_ids").size()).isBetween(1, 5);

        Result greedy1 =
                run("generate", "--checkpoint", ck.toString(), "--prompt", "7", "--temperature", "0", "--seed", "1");
        Result greedy2 =
                run("generate", "--checkpoint", ck.toString(), "--prompt", "7", "--temperature", "0", "--seed", "2");
        assertEquals(greedy1.out(), greedy2.out());
    }

    @Test
    void bfloat16ShardedInitScoresLikeItsBatchAndItsSingleSequences() throws Exception {
        Path ck = dir.resolve("ck");
        Result init = run(
                "init", "--shape", "tiny", "--out", ck.toString(), "--dtype", "bfloat16", "--max-shard-size", "50KB");
        assertEquals(0, init.status(), init.err());
        assertThat(ck.resolve("model.safetensors.index.json")).exists();
        assertThat(Files.readString(ck.resolve("config.json"))).contains("bfloat16");
        assertThat(ck.resolve("generation_config.json")).exists();
        Path batch = dir.resolve("ids.jsonl");
        Files.writeString(batch, "{\"token_ids\": [1, 5, 6, 7]}\n\n{\"token_ids\": [1, 9, 9, 9, 9, 2]}\n");
        Result lp = run("logprobs", "--checkpoint", ck.toString(), "--batch", batch.toString());
        assertEquals(0, lp.status(), lp.err());
        List<String> lines = lp.out().strip().lines().toList();
        assertEquals(2, lines.size());
        JsonNode second = new ObjectMapper().readTree(lines.get(1)).get("logprobs");
        assertEquals(5, second.size());
        JsonNode alone = new ObjectMapper()
                .readTree(run("logprobs", "--checkpoint", ck.toString(), "--token-ids", "1,9,9,9,9,2")
                        .out())
                .get("logprobs");
        for (int i = 0; i < 5; i++) {
            assertEquals(
                    alone.get(i).asDouble(),
                    second.get(i).asDouble(),
                    1e-5,
                    "padding in the batch changed logprob " + i);
        }
        Files.writeString(batch, "{\"token_ids\": [1, 5]}\n{\"ids\": [1]}\n");
        Result bad = run("logprobs", "--checkpoint", ck.toString(), "--batch", batch.toString());
        assertEquals(2, bad.status());
        assertThat(bad.err()).contains("ids.jsonl:2");
        Result badSize =
                run("init", "--shape", "tiny", "--out", dir.resolve("x").toString(), "--max-shard-size", "lots");
        assertEquals(2, badSize.status());
        assertThat(badSize.err()).contains("--max-shard-size").contains("lots");
    }

    @Test
    void unknownShapeExitsTwoListingTheShapes() {
        Result r = run("init", "--shape", "huge", "--out", dir.resolve("x").toString());
        assertEquals(2, r.status());
        assertThat(r.err()).contains("unknown shape 'huge'").contains("smollm2-135m");
    }

    @Test
    void quickstartRunsEndToEndAndEndsWithTheEvalPath() throws Exception {
        Path run = dir.resolve("qs");
        Result r =
                run("quickstart", "--home", "..", "--out", run.toString(), "--rl-steps", "2", "--eval-problems", "8");
        assertEquals(0, r.status(), r.err());
        List<String> lines = r.out().strip().lines().toList();
        Path last = Path.of(lines.get(lines.size() - 1));
        assertEquals(run.resolve("eval").resolve("final").resolve("eval.json"), last);
        assertEquals(run.resolve("eval").resolve("base").resolve("eval.json"), Path.of(lines.get(lines.size() - 2)));
        JsonNode eval = new ObjectMapper().readTree(Files.readString(last));
        assertEquals(2, eval.get("turns").asInt());
        assertEquals(8, eval.get("n_problems").asInt());
        assertEquals(2, eval.get("accuracy").size());
        assertThat(eval.has("mcnemar_p") && eval.has("transitions") && eval.has("delta_i_to_c"))
                .isTrue();
        assertThat(run.resolve("eval/final-greedy/eval.json")).exists();
        assertThat(run.resolve("score/checkpoints/step-000002/model.safetensors"))
                .exists();
        assertThat(r.err()).contains("score stage I");
        assertThat(r.out()).contains("after SCoRe (greedy)");
    }

    @Test
    void quickstartFromScratchTrainsItsOwnBase() throws Exception {
        Path run = dir.resolve("qs-scratch");
        Result r = run(
                "quickstart",
                "--home",
                "..",
                "--from-scratch",
                "--sft-steps",
                "2",
                "--out",
                run.toString(),
                "--rl-steps",
                "1",
                "--eval-problems",
                "4");
        assertEquals(0, r.status(), r.err());
        assertThat(run.resolve("sft/checkpoints/step-000002/model.safetensors")).exists();
        assertThat(Files.readString(run.resolve("score/config.resolved.yaml")))
                .contains(run.resolve("sft/checkpoints/step-000002")
                        .toAbsolutePath()
                        .toString());
    }
}
