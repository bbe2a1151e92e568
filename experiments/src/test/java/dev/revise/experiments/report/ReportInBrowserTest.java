package dev.revise.experiments.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.revise.experiments.cli.CliTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report of a small sweep in a real browser: headless Chromium loads report.html, every plot
 * image decodes (naturalWidth > 0), the console stays silent, and a screenshot is kept as a build
 * artifact ({@code target/report-in-chromium.png}). Without a Chromium the test is skipped, unless
 * {@code REVISE_REQUIRE_BROWSER=1} (CI installs Debian's chromium and sets it) makes that a failure.
 */
class ReportInBrowserTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void everyPlotLoadsWithoutConsoleErrorsInHeadlessChromium() throws Exception {
        String chromium = chromium();
        Path config = dir.resolve("sft.yaml");
        Files.writeString(config, "algorithm: sft\ntrain:\n  steps: 2\nsft:\n  batch: 4\neval:\n  problems: 4\n");
        Path sweep = dir.resolve("sweep");
        CliTest.Result s = CliTest.run(
                "sweep",
                "--config",
                config.toString(),
                "--grid",
                "train.lr=1e-3,2e-3",
                "--seeds",
                "2",
                "--dir",
                sweep.toString());
        assertEquals(0, s.status(), s.err());
        Path out = dir.resolve("report");
        CliTest.Result c = CliTest.run("compare", sweep.toString(), "--out", out.toString());
        assertEquals(0, c.status(), c.err());
        String html = Files.readString(out.resolve("report.html"));
        Matcher m = Pattern.compile("<img[^>]*src=\"([^\"]+)\"").matcher(html);
        List<String> sources = new ArrayList<>();
        while (m.find()) {
            sources.add(m.group(1));
        }
        assertThat(sources).as("plots in report.html").hasSizeGreaterThanOrEqualTo(4);

        // a page that frames the report and, once everything has loaded, writes what it found
        Files.writeString(
                dir.resolve("check.html"),
                """
                <!doctype html><html><body><pre id="result">pending</pre>
                <iframe id="r" src="report/report.html" width="1200" height="900"></iframe>
                <script>
                window.addEventListener('load', () => {
                  const d = document.getElementById('r').contentDocument;
                  const imgs = [...d.images];
                  const broken = imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src'));
                  document.getElementById('result').textContent = JSON.stringify({images: imgs.length, broken: broken});
                });
                </script></body></html>
                """);
        Browser dom = run(
                chromium,
                "--allow-file-access-from-files",
                "--enable-logging=stderr",
                "--v=0",
                "--virtual-time-budget=10000",
                "--dump-dom",
                dir.resolve("check.html").toUri().toString());
        Matcher r = Pattern.compile("<pre id=\"result\">([^<]*)</pre>").matcher(dom.out());
        assertTrue(r.find(), () -> "no result in the dumped DOM: " + dom.out() + dom.err());
        JsonNode result = new ObjectMapper().readTree(r.group(1).replace("&quot;", "\""));
        assertEquals(sources.size(), result.get("images").asInt(), result.toString());
        assertEquals(0, result.get("broken").size(), () -> "images that did not load: " + result.get("broken"));
        List<String> console =
                dom.err().lines().filter(l -> l.contains(":CONSOLE")).toList();
        assertThat(console).as("console messages of the report").isEmpty();

        Path shot = Path.of("target", "report-in-chromium.png").toAbsolutePath();
        Files.createDirectories(shot.getParent());
        Files.deleteIfExists(shot);
        Browser png = run(
                chromium,
                "--window-size=1280,2400",
                "--screenshot=" + shot,
                out.resolve("report.html").toUri().toString());
        assertTrue(Files.size(shot) > 10_000, () -> "screenshot " + shot + ": " + png.err());
    }

    private record Browser(String out, String err) {}

    private Browser run(String chromium, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                chromium,
                "--headless",
                "--no-sandbox", // as root, and in containers without user namespaces for its sandbox
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--user-data-dir=" + dir.resolve("profile")));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "chromium", ".out");
        Path err = Files.createTempFile(dir, "chromium", ".err");
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish in 90 s: " + Files.readString(err));
        }
        return new Browser(Files.readString(out), Files.readString(err));
    }

    /** Chromium's executable: $REVISE_CHROMIUM or the first of Debian's and Google's names on PATH. */
    private static String chromium() {
        List<String> names = new ArrayList<>();
        String given = System.getenv("REVISE_CHROMIUM");
        if (given != null && !given.isBlank()) {
            names.add(given);
        }
        names.addAll(List.of("chromium", "chromium-browser", "google-chrome"));
        for (String n : names) {
            if (n.contains("/") && Files.isExecutable(Path.of(n))) {
                return n;
            }
            for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
                if (!d.isEmpty() && Files.isExecutable(Path.of(d, n))) {
                    return Path.of(d, n).toString();
                }
            }
        }
        String why = "no Chromium found (chromium, chromium-browser, google-chrome or $REVISE_CHROMIUM)";
        if ("1".equals(System.getenv("REVISE_REQUIRE_BROWSER"))) {
            throw new AssertionError(why + ", and REVISE_REQUIRE_BROWSER=1 asks for one: apt-get install chromium");
        }
        Assumptions.abort(why + ": skipped (CI installs Debian's chromium and requires it)");
        return null;
    }
}
