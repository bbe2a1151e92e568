package dev.revise.experiments.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GradeCommandTest {
    static final Path PUBLIC = Path.of("src/test/resources/grader-cases/public.jsonl");

    @TempDir
    Path dir;

    @Test
    void casesGiveOneLineEachAndASummaryBySource() throws Exception {
        Path f = dir.resolve("cases.jsonl");
        Files.writeString(
                f,
                String.join(
                        "\n",
                        "{\"id\": \"a\", \"kind\": \"equiv\", \"pred\": \"1/2\", \"gold\": \"0.5\", \"input\": \"answer\", \"expected\": true, \"source\": \"x/y:file\"}",
                        "{\"id\": \"b\", \"kind\": \"extract\", \"pred\": \"so #### 42\", \"gold\": null, \"input\": \"pred_text\", \"params\": {\"answer_type\": \"gsm8k_hash\"}, \"expected\": \"42\", \"source\": \"x/y:other\"}",
                        "{\"id\": \"c\", \"kind\": \"equiv\", \"pred\": \"A: 7\", \"gold\": \"8\", \"input\": \"pred_text\", \"params\": {\"answer_type\": \"gsm8k_A_colon\"}, \"expected\": true, \"source\": \"z/w:f\"}",
                        ""));
        CliTest.Result r = CliTest.run("grade", "--cases", f.toString());
        assertEquals(0, r.status(), r.err());
        List<String> lines = r.out().strip().lines().toList();
        assertEquals(4, lines.size());
        ObjectMapper json = new ObjectMapper();
        assertEquals(true, json.readTree(lines.get(0)).get("equivalent").asBoolean());
        assertEquals("42", json.readTree(lines.get(1)).get("extracted").asText());
        assertEquals(false, json.readTree(lines.get(2)).get("equivalent").asBoolean());
        JsonNode summary = json.readTree(lines.get(3)).get("summary");
        assertEquals(3, summary.get("total").get("n").asInt());
        assertEquals(2, summary.get("total").get("pass").asInt());
        assertEquals(2, summary.get("by_source").get("x/y").get("pass").asInt());
        assertEquals(0, summary.get("by_source").get("z/w").get("pass").asInt());
    }

    @Test
    void aMalformedLineExitsTwoNamingItsNumber() throws Exception {
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(
                f,
                "{\"id\": \"a\", \"kind\": \"equiv\", \"pred\": \"1\", \"gold\": \"1\"}\n{\"id\": \"b\", \"kind\": \n");
        CliTest.Result r = CliTest.run("grade", "--cases", f.toString());
        assertEquals(2, r.status());
        assertThat(r.err()).contains("bad.jsonl:2");
        Files.writeString(f, "{\"id\": \"a\", \"kind\": \"guess\", \"pred\": \"1\", \"gold\": \"1\"}\n");
        assertThat(CliTest.run("grade", "--cases", f.toString()).err())
                .contains("bad.jsonl:1")
                .contains("kind");
    }

    /**
     * A regression floor on all public cases, flagged ones included, just below the rate reached
     * by the symbolic grader (374/396 = 94.4%; 322/323 = 99.7% of the unflagged cases, above the
     * 95% target of issue 3). The unflagged miss is hendrycks/math's {@code test_order}: lists of
     * several answers are compared as unordered, as Math-Verify's cases expect. Most flagged
     * misses are by design (doubled backslashes, option- or precision-dependent labels,
     * multiple-choice letters without an answer type). Pass rates per source are printed for the
     * record.
     */
    @Test
    void publicCasesPassRateDoesNotRegress() throws Exception {
        CliTest.Result r = CliTest.run("grade", "--cases", PUBLIC.toString());
        assertEquals(0, r.status(), r.err());
        List<String> lines = r.out().strip().lines().toList();
        JsonNode summary =
                new ObjectMapper().readTree(lines.get(lines.size() - 1)).get("summary");
        System.err.println("grader pass rates: " + summary);
        double rate = summary.get("total").get("pass").asDouble()
                / summary.get("total").get("n").asDouble();
        assertThat(rate).isGreaterThan(0.935);
        assertEquals(396, lines.size() - 1);
    }
}
