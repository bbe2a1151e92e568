package dev.revise.experiments.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code revise train}'s and {@code revise generate}'s progress as users see it: a bar redrawn in place on a terminal (a
 * pseudo-terminal from script(1)), plain lines without control characters into a pipe; stdout
 * keeps only the run directory in both.
 */
class ProgressOutputTest {
    @TempDir
    Path dir;

    private List<String> train(String name) throws Exception {
        Path config = dir.resolve("run.yaml");
        Files.writeString(config, "");
        List<String> sets = new ArrayList<>(ResumeTest.scoreRun());
        sets.add("checkpoint.every=0");
        List<String> cmd =
                new ArrayList<>(ResumeTest.command(ResumeTest.trainArguments(config, dir.resolve(name), sets, false)));
        cmd.add(1, "-Drevise.progress.interval_ms=200");
        return cmd;
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void intoAPipeProgressIsPlainPeriodicLines() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(train("piped"))
                .redirectOutput(dir.resolve("out.txt").toFile())
                .redirectError(dir.resolve("err.txt").toFile());
        pb.environment().put("OPT_OUT_TRACKING", "true");
        assertEquals(0, pb.start().waitFor(), () -> read("err.txt"));
        String err = read("err.txt");
        List<String> progress = err.lines().filter(l -> l.startsWith("train ")).toList();
        assertThat(progress).isNotEmpty();
        assertThat(progress.get(progress.size() - 1))
                .startsWith("train 6/6 updates (100%), ")
                .contains(" updates/s, elapsed 0:0")
                .contains("reward ", "loss ");
        assertThat(err).doesNotContain("\r", "\u001b");
        assertEquals(dir.resolve("piped").toString(), read("out.txt").strip());
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void onATerminalProgressIsABarRedrawnInPlace() throws Exception {
        String tty = onTerminal(train("terminal"));
        assertThat(tty).contains("\r", "6/6 updates").contains("train 100%");
        assertThat(tty).as("the bar's Unicode blocks").containsPattern("[\u2588-\u258f]");
        assertThat(tty.lines().filter(l -> l.startsWith("train 6/6 updates")).toList())
                .as("no plain lines on a terminal")
                .isEmpty();
        assertEquals(dir.resolve("terminal").toString(), read("out.txt").strip());
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void generationShowsDecodingStepsOnATerminalAndInAPipe() throws Exception {
        Path ck = dir.resolve("ck");
        ProcessBuilder init = new ProcessBuilder(
                        ResumeTest.command(List.of("init", "--shape", "tiny", "--out", ck.toString())))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("init.log").toFile());
        init.environment().put("OPT_OUT_TRACKING", "true");
        assertEquals(0, init.start().waitFor(), () -> read("init.log"));
        List<String> generate = ResumeTest.command(List.of(
                "generate",
                "--checkpoint",
                ck.toString(),
                "--prompt",
                "12+3=",
                "--samples",
                "3",
                "--max-new-tokens",
                "40"));

        ProcessBuilder piped = new ProcessBuilder(generate)
                .redirectOutput(dir.resolve("out.txt").toFile())
                .redirectError(dir.resolve("err.txt").toFile());
        piped.environment().put("OPT_OUT_TRACKING", "true");
        assertEquals(0, piped.start().waitFor(), () -> read("err.txt"));
        List<String> lines =
                read("err.txt").lines().filter(l -> l.startsWith("generate ")).toList();
        assertThat(lines).isNotEmpty();
        assertThat(lines.get(lines.size() - 1))
                .matches("generate \\d+/40 steps \\(\\d+%\\), [0-9.]+ steps/s, elapsed .*: tokens \\d+, open 0/3");
        assertThat(read("err.txt")).doesNotContain("\r", "\u001b");
        assertThat(read("out.txt").strip()).startsWith("{\"prompt_token_ids\"").endsWith("}");

        String tty = onTerminal(generate);
        assertThat(tty).contains("\r", "generate").contains("steps").contains("open 0/3");
        assertThat(tty).as("the bar's Unicode blocks").containsPattern("[\u2588-\u258f]");
        assertThat(read("out.txt").strip()).startsWith("{\"prompt_token_ids\"").endsWith("}");
    }

    /** Runs {@code cmd} with stdout to out.txt and stderr on a pseudo-terminal; what the terminal showed. */
    private String onTerminal(List<String> cmd) throws Exception {
        Assumptions.assumeTrue(
                Files.isExecutable(Path.of("/usr/bin/script")), "no script(1) (util-linux) for a pseudo-terminal");
        StringBuilder line = new StringBuilder();
        for (String a : cmd) {
            line.append(" '").append(a.replace("'", "'\\''")).append('\'');
        }
        // stdout to a file, stderr on the pseudo-terminal script records (120 columns, as a terminal window)
        String inner = "stty cols 120; " + line + " > '" + dir.resolve("out.txt") + "'";
        ProcessBuilder pb = new ProcessBuilder(
                        "script", "-qec", inner, dir.resolve("typescript").toString())
                .redirectOutput(dir.resolve("script.log").toFile())
                .redirectErrorStream(true);
        pb.environment().put("OPT_OUT_TRACKING", "true");
        assertEquals(0, pb.start().waitFor(), () -> read("script.log"));
        return Files.readString(dir.resolve("typescript"), StandardCharsets.UTF_8);
    }

    private String read(String name) {
        try {
            return Files.readString(dir.resolve(name));
        } catch (java.io.IOException e) {
            return "(no " + name + ")";
        }
    }
}
