package dev.revise.experiments.report;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The report page: summary table, pairwise tests, plots, and the runs it was made from. */
final class Html {
    private Html() {}

    static String page(Map<String, List<RunData>> byVariant, List<String> images) {
        return page(byVariant, images, java.util.Optional.empty(), new ProbeView.View(List.of(), List.of()));
    }

    static String page(
            Map<String, List<RunData>> byVariant,
            List<String> images,
            java.util.Optional<MatchedComparison.Table> matched,
            ProbeView.View probe) {
        StringBuilder sb = new StringBuilder();
        sb.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>revise comparison</title><style>")
                .append("body{font-family:sans-serif;margin:2em;max-width:1100px}")
                .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;")
                .append("text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}")
                .append("img{max-width:100%;border:1px solid #eee;margin:0.5em 0}.sig{font-weight:bold}")
                .append("</style></head><body><h1>revise comparison</h1>");
        Map<String, Map<String, VariantStatistics.Summary>> summaries = VariantStatistics.summaries(byVariant);
        sb.append("<h2>Final evaluation</h2><p>Mean over seeds with a 95% t interval across seeds"
                + " (a single seed shows its value only).</p><table><tr><th>variant</th><th>seeds</th>");
        java.util.LinkedHashSet<String> all = new java.util.LinkedHashSet<>();
        summaries.values().forEach(m -> all.addAll(m.keySet()));
        List<String> metrics = List.copyOf(all);
        for (String m : metrics) {
            sb.append("<th>").append(esc(m)).append("</th>");
        }
        sb.append("</tr>");
        for (Map.Entry<String, Map<String, VariantStatistics.Summary>> e : summaries.entrySet()) {
            sb.append("<tr><td>")
                    .append(esc(e.getKey()))
                    .append("</td><td>")
                    .append(byVariant.get(e.getKey()).size())
                    .append("</td>");
            for (String m : metrics) {
                VariantStatistics.Summary s = e.getValue().get(m);
                sb.append("<td>").append(s == null ? "" : cell(s)).append("</td>");
            }
            sb.append("</tr>");
        }
        sb.append("</table>");
        if (byVariant.size() > 1) {
            boolean byProblem = VariantStatistics.pairsProblems(byVariant);
            for (String metric : List.of("delta", "acc_final")) {
                sb.append("<h2>Pairwise tests: ")
                        .append(metric.equals("delta") ? "Delta" : "final-turn accuracy")
                        .append("</h2><p>Across seeds: Welch's t-test, Mann-Whitney U, Cohen's d. Paired per problem"
                                + " (runs of the same seed saw the same problems with the same sampling seeds): ")
                        .append(pairedTestText(byProblem))
                        .append(" p-values Holm-corrected over the pairs; bold when the corrected p &lt; 0.05.</p>")
                        .append("<table><tr><th>A vs B</th><th>mean A</th><th>mean B</th><th>Welch p</th>"
                                + "<th>Welch p (Holm)</th><th>Mann-Whitney p</th><th>Cohen's d</th>"
                                + "<th>paired " + VariantStatistics.pairedUnit(byProblem) + "</th>"
                                + "<th>A better</th><th>B better</th><th>paired p</th>"
                                + "<th>paired p (Holm)</th></tr>");
                for (VariantStatistics.Pair p : VariantStatistics.pairwise(byVariant, metric)) {
                    sb.append("<tr><td>")
                            .append(esc(p.a() + " vs " + p.b()))
                            .append("</td>")
                            .append(td(p.meanA()))
                            .append(td(p.meanB()))
                            .append(td(p.welchP()))
                            .append(sig(p.welchPHolm()))
                            .append(td(p.mannWhitneyP()))
                            .append(td(p.cohenD()))
                            .append("<td>")
                            .append(p.pairedUnits())
                            .append("</td><td>")
                            .append(p.aBetter())
                            .append("</td><td>")
                            .append(p.bBetter())
                            .append("</td>")
                            .append("<td>" + p(p.pairedP()) + "</td>")
                            .append(sig(p.pairedPHolm()))
                            .append("</tr>");
                }
                sb.append("</table>");
            }
        }
        matched.ifPresent(t -> {
            sb.append("<h2>Compute-matched comparisons</h2><p>")
                    .append(esc(MatchedComparison.heading(t)))
                    .append(".</p>")
                    .append(table(MatchedComparison.cells(t)));
            t.missing()
                    .forEach(m -> sb.append("<p>Not compared: ").append(esc(m)).append("</p>"));
        });
        if (!probe.isEmpty()) {
            sb.append("<h2>Counterfactual probe</h2><p>")
                    .append(esc(ProbeView.HEADING))
                    .append(".</p>")
                    .append(table(ProbeView.cellTable(probe)));
            if (!probe.dependence().isEmpty()) {
                sb.append(table(ProbeView.dependenceTable(probe)));
            }
        }
        sb.append("<h2>Plots</h2>");
        for (String img : images) {
            sb.append("<p><img src=\"")
                    .append(img)
                    .append(".png\" alt=\"")
                    .append(img)
                    .append("\"> <a href=\"")
                    .append(img)
                    .append(".svg\">SVG</a></p>");
        }
        sb.append("<h2>Runs</h2><table><tr><th>variant</th><th>seed</th><th>directory</th></tr>");
        for (List<RunData> runs : byVariant.values()) {
            for (RunData r : runs) {
                sb.append("<tr><td>")
                        .append(esc(r.variant()))
                        .append("</td><td>")
                        .append(r.seed())
                        .append("</td><td>")
                        .append(esc(r.dir().toString()))
                        .append("</td></tr>");
            }
        }
        return sb.append("</table></body></html>\n").toString();
    }

    /** Which paired test the tables used, in words. */
    static String pairedTestText(boolean byProblem) {
        return byProblem
                ? "the evaluations have several samples per problem, which are not independent, so the unit is the"
                        + " problem: per seed and problem, each variant's mean over the problem's samples, and the"
                        + " exact sign test (paired_test sign_test_problems) on the problems where one variant's"
                        + " mean is higher."
                : "exact McNemar / sign test (paired_test mcnemar_exact) on the episodes where one variant did"
                        + " better (one sample per problem).";
    }

    static String cell(VariantStatistics.Summary s) {
        return s.n() < 2
                ? String.format(Locale.ROOT, "%.3f", s.mean())
                : String.format(Locale.ROOT, "%.3f (%.3f..%.3f)", s.mean(), s.lo(), s.hi());
    }

    private static String td(double v) {
        return "<td>" + (Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.3g", v)) + "</td>";
    }

    /** A p-value as text; one that underflows to 0 is shown as a bound, not as "0". */
    static String p(double p) {
        if (Double.isNaN(p)) {
            return "n/a";
        }
        return p < 1e-300 ? "< 1e-300" : String.format(Locale.ROOT, "%.3g", p);
    }

    private static String sig(double p) {
        String v = p(p);
        return p < 0.05 ? "<td class=\"sig\">" + v + "</td>" : "<td>" + v + "</td>";
    }

    /** A table of text cells, the first row its header. */
    static String table(List<List<String>> cells) {
        StringBuilder sb = new StringBuilder("<table>");
        for (int i = 0; i < cells.size(); i++) {
            String tag = i == 0 ? "th" : "td";
            sb.append("<tr>");
            for (String c : cells.get(i)) {
                sb.append('<')
                        .append(tag)
                        .append('>')
                        .append(esc(c))
                        .append("</")
                        .append(tag)
                        .append('>');
            }
            sb.append("</tr>");
        }
        return sb.append("</table>").toString();
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
