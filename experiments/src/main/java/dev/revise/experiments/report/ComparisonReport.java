package dev.revise.experiments.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * {@code revise compare} / {@code revise report}: learning curves per variant (mean over seeds,
 * with a band from the lowest to the highest seed), final Acc@t1 / Acc@t2 / Delta with 95%
 * intervals, the turn-1 to turn-2 transition fractions, and the pairwise tests of {@link
 * VariantStatistics}, written as PNG and SVG plots and one {@code report.html}.
 */
public final class ComparisonReport {
    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf)
    };

    private ComparisonReport() {}

    /** Writes the report into {@code out}; returns the report.html path. */
    public static Path write(List<RunData> runs, Path out) throws IOException {
        return write(runs, out, null);
    }

    /**
     * Writes the report, with the compute-matched comparisons against {@code baseline} (null: the
     * only variant trained with one attempt, if there is one) and the probe view where the runs
     * have probe evaluations; returns the report.html path.
     */
    public static Path write(List<RunData> runs, Path out, String baseline) throws IOException {
        Files.createDirectories(out);
        Map<String, List<RunData>> byVariant = RunData.byVariant(runs);
        Optional<MatchedComparison.Table> matched =
                MatchedComparison.baseline(byVariant, baseline).map(b -> MatchedComparison.of(byVariant, b));
        ProbeView.View probe = ProbeView.of(byVariant);
        List<String> images = new ArrayList<>();
        for (String metric : List.of("eval/acc_t1", "eval/acc_t2", "eval/delta", "batch/acc_t2")) {
            if (runs.stream().anyMatch(r -> r.curves().containsKey(metric))) {
                String file = "curve-" + metric.replace('/', '-');
                save(curve(byVariant, metric), out.resolve(file));
                images.add(file);
            }
        }
        save(finals(VariantStatistics.summaries(byVariant)), out.resolve("final"));
        images.add("final");
        if (runs.stream().anyMatch(r -> r.turns() >= 2)) {
            save(transitions(byVariant), out.resolve("transitions"));
            images.add("transitions");
        }
        if (!probe.isEmpty() && !probe.dependence().isEmpty()) {
            save(dependence(probe), out.resolve("probe"));
            images.add("probe");
        }
        Path html = out.resolve("report.html");
        Files.writeString(html, Html.page(byVariant, images, matched, probe));
        Files.writeString(out.resolve("summary.md"), Markdown.summary(byVariant) + sections(matched, probe));
        return html;
    }

    /** The matched-comparison and probe sections as Markdown (also what {@code compare} prints). */
    public static String sections(List<RunData> runs, String baseline) {
        Map<String, List<RunData>> byVariant = RunData.byVariant(runs);
        return sections(
                MatchedComparison.baseline(byVariant, baseline).map(b -> MatchedComparison.of(byVariant, b)),
                ProbeView.of(byVariant));
    }

    private static String sections(Optional<MatchedComparison.Table> matched, ProbeView.View probe) {
        StringBuilder sb = new StringBuilder();
        matched.ifPresent(t -> {
            sb.append("\n").append(MatchedComparison.heading(t)).append("\n\n");
            sb.append(Markdown.table(MatchedComparison.cells(t)));
            t.missing().forEach(m -> sb.append("\n- not compared: ").append(m));
            sb.append(t.missing().isEmpty() ? "" : "\n");
        });
        if (!probe.isEmpty()) {
            sb.append("\n").append(ProbeView.HEADING).append("\n\n");
            sb.append(Markdown.table(ProbeView.cellTable(probe)));
            if (!probe.dependence().isEmpty()) {
                sb.append('\n').append(Markdown.table(ProbeView.dependenceTable(probe)));
            }
        }
        return sb.toString();
    }

    /** The probe's two contrasts per variant across checkpoints. */
    static XYChart dependence(ProbeView.View probe) {
        XYChart c = new XYChartBuilder()
                .width(1100)
                .height(520)
                .title("does attempt 2 read attempt 1? (Acc@t2 difference between probes)")
                .xAxisTitle("checkpoint (update)")
                .yAxisTitle("Acc@t2 difference")
                .build();
        style(c);
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        c.getStyler().setYAxisDecimalPattern("0.00");
        Map<String, List<ProbeView.Dependence>> series = new java.util.LinkedHashMap<>();
        for (ProbeView.Dependence d : probe.dependence()) {
            series.computeIfAbsent(d.variant() + ": " + d.contrast(), k -> new ArrayList<>())
                    .add(d);
        }
        int colour = 0;
        for (Map.Entry<String, List<ProbeView.Dependence>> e : series.entrySet()) {
            double[] x = e.getValue().stream()
                    .mapToDouble(ProbeView.Dependence::step)
                    .toArray();
            double[] y = e.getValue().stream()
                    .mapToDouble(ProbeView.Dependence::diff)
                    .toArray();
            XYSeries s = c.addSeries(e.getKey(), x, y);
            s.setLineColor(PALETTE[colour % PALETTE.length]);
            s.setMarkerColor(PALETTE[colour++ % PALETTE.length]);
            s.setMarker(SeriesMarkers.CIRCLE);
            if (e.getKey().endsWith("corrupt")) {
                s.setLineStyle(new BasicStroke(
                        2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
            }
        }
        return c;
    }

    static XYChart curve(Map<String, List<RunData>> byVariant, String metric) {
        XYChart c = new XYChartBuilder()
                .width(1100)
                .height(520)
                .title(metric + " (mean over seeds; dashed: min and max seed)")
                .xAxisTitle("update")
                .yAxisTitle(metric)
                .build();
        style(c);
        // a vertical legend on the right fits any number of variants
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        c.getStyler().setYAxisDecimalPattern("0.00");
        int colour = 0;
        for (Map.Entry<String, List<RunData>> e : byVariant.entrySet()) {
            TreeMap<Double, List<Double>> at = new TreeMap<>();
            for (RunData r : e.getValue()) {
                for (double[] p : r.curves().getOrDefault(metric, List.of())) {
                    at.computeIfAbsent(p[0], k -> new ArrayList<>()).add(p[1]);
                }
            }
            if (at.isEmpty()) {
                continue;
            }
            double[] x = new double[at.size()];
            double[] mean = new double[at.size()];
            double[] lo = new double[at.size()];
            double[] hi = new double[at.size()];
            int i = 0;
            for (Map.Entry<Double, List<Double>> p : at.entrySet()) {
                x[i] = p.getKey();
                mean[i] = p.getValue().stream()
                        .mapToDouble(Double::doubleValue)
                        .average()
                        .orElse(0);
                lo[i] = p.getValue().stream()
                        .mapToDouble(Double::doubleValue)
                        .min()
                        .orElse(0);
                hi[i] = p.getValue().stream()
                        .mapToDouble(Double::doubleValue)
                        .max()
                        .orElse(0);
                i++;
            }
            Color col = PALETTE[colour++ % PALETTE.length];
            String label = e.getKey() + " (" + e.getValue().size() + " seed"
                    + (e.getValue().size() > 1 ? "s" : "") + ")";
            XYSeries m = c.addSeries(label, x, mean);
            m.setLineColor(col);
            m.setMarker(x.length <= 12 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
            m.setMarkerColor(col);
            m.setLineStyle(new BasicStroke(2.2f));
            if (e.getValue().size() > 1) {
                for (double[] band : new double[][] {lo, hi}) {
                    XYSeries b = c.addSeries(label + (band == lo ? " min" : " max"), x, band);
                    b.setLineColor(new Color(col.getRed(), col.getGreen(), col.getBlue(), 90));
                    b.setMarker(SeriesMarkers.NONE);
                    b.setLineStyle(new BasicStroke(
                            1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {5f, 4f}, 0f));
                    b.setShowInLegend(false);
                }
            }
        }
        return c;
    }

    static CategoryChart finals(Map<String, Map<String, VariantStatistics.Summary>> summaries) {
        CategoryChart c = new CategoryChartBuilder()
                .width(900)
                .height(520)
                .title("final evaluation (mean over seeds, 95% CI)")
                .yAxisTitle("fraction of problems")
                .build();
        style(c);
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        c.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        c.getStyler().setErrorBarsColor(Color.DARK_GRAY);
        List<String> variants = new ArrayList<>(summaries.keySet());
        int colour = 0;
        for (String metric : List.of("Acc@t1", "Acc@t2", "Delta")) {
            List<Double> y = new ArrayList<>();
            List<Double> err = new ArrayList<>();
            boolean any = false;
            for (String v : variants) {
                VariantStatistics.Summary s = summaries.get(v).get(metric);
                any |= s != null;
                y.add(s == null ? 0 : s.mean());
                err.add(s == null ? 0 : (s.hi() - s.lo()) / 2);
            }
            if (any) {
                c.addSeries(metric, variants, y, err).setFillColor(PALETTE[colour++]);
            }
        }
        return c;
    }

    static CategoryChart transitions(Map<String, List<RunData>> byVariant) {
        CategoryChart c = new CategoryChartBuilder()
                .width(900)
                .height(520)
                .title("attempt 1 -> attempt 2 (fraction of episodes, all seeds)")
                .yAxisTitle("fraction")
                .build();
        style(c);
        c.getStyler().setStacked(true);
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        c.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        List<String> variants = new ArrayList<>(byVariant.keySet());
        String[] names = {"c->c", "c->i", "i->c", "i->i"};
        Color[] colours = {new Color(0x2ca02c), new Color(0xd62728), new Color(0x1f77b4), new Color(0xaaaaaa)};
        for (int cell = 0; cell < 4; cell++) {
            List<Double> y = new ArrayList<>();
            for (String v : variants) {
                double[] f = transitionFractions(byVariant.get(v));
                y.add(f[cell]);
            }
            c.addSeries(names[cell], variants, y).setFillColor(colours[cell]);
        }
        return c;
    }

    /** c->c, c->i, i->c, i->i fractions of the first transition, pooled over a variant's runs. */
    static double[] transitionFractions(List<RunData> runs) {
        double[] f = new double[4];
        double total = 0;
        for (RunData r : runs) {
            if (r.turns() < 2 || !r.finalEval().path("transitions").isArray()) {
                continue; // a single-turn run has no transition (a variant of turns 1 next to K-turn ones)
            }
            var t = r.finalEval().get("transitions").get(0);
            for (int from = 0; from < 2; from++) {
                for (int to = 0; to < 2; to++) {
                    double n = t.get(from).get(to).asDouble();
                    f[from * 2 + to] += n;
                    total += n;
                }
            }
        }
        for (int i = 0; i < 4; i++) {
            f[i] = total == 0 ? 0 : f[i] / total;
        }
        return f;
    }

    private static void style(Chart<?, ?> c) {
        org.knowm.xchart.style.AxesChartStyler s = (org.knowm.xchart.style.AxesChartStyler) c.getStyler();
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotGridLinesColor(new Color(0xdddddd));
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        s.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        s.setLocale(Locale.ROOT);
    }

    private static void save(Chart<?, ?> chart, Path base) throws IOException {
        BitmapEncoder.saveBitmapWithDPI(chart, base.toString() + ".png", BitmapEncoder.BitmapFormat.PNG, 110);
        VectorGraphicsEncoder.saveVectorGraphic(
                chart, base.toString() + ".svg", VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
    }
}
