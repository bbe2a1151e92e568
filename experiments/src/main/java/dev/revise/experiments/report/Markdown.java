package dev.revise.experiments.report;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The report's tables as Markdown ({@code summary.md}), for results pages in a repository. */
final class Markdown {
    private Markdown() {}

    static String summary(Map<String, List<RunData>> byVariant) {
        StringBuilder sb = new StringBuilder();
        Map<String, Map<String, VariantStatistics.Summary>> summaries = VariantStatistics.summaries(byVariant);
        // the union over variants, in first-seen order: a single-turn variant has no Acc@t2 or Delta
        java.util.LinkedHashSet<String> all = new java.util.LinkedHashSet<>();
        summaries.values().forEach(m -> all.addAll(m.keySet()));
        List<String> metrics = List.copyOf(all);
        sb.append("| variant | seeds |");
        metrics.forEach(m -> sb.append(' ').append(m).append(" |"));
        sb.append("\n|---|---|");
        metrics.forEach(m -> sb.append("---|"));
        sb.append('\n');
        for (Map.Entry<String, Map<String, VariantStatistics.Summary>> e : summaries.entrySet()) {
            sb.append("| ")
                    .append(e.getKey())
                    .append(" | ")
                    .append(byVariant.get(e.getKey()).size())
                    .append(" |");
            for (String m : metrics) {
                VariantStatistics.Summary s = e.getValue().get(m);
                sb.append(' ')
                        .append(
                                s == null
                                        ? ""
                                        : s.n() < 2
                                                ? String.format(Locale.ROOT, "%.3f", s.mean())
                                                : String.format(
                                                        Locale.ROOT, "%.3f (%.3f..%.3f)", s.mean(), s.lo(), s.hi()))
                        .append(" |");
            }
            sb.append('\n');
        }
        if (byVariant.size() > 1) {
            boolean byProblem = VariantStatistics.pairsProblems(byVariant);
            sb.append("\nPairwise tests of Delta, Holm-corrected over the pairs. Paired = per problem, same seed: ")
                    .append(Html.pairedTestText(byProblem))
                    .append("\n\n")
                    .append("| A vs B | mean A | mean B | Welch p (Holm) | Mann-Whitney p | Cohen's d |"
                            + " A better / B better (" + VariantStatistics.pairedUnit(byProblem) + ") |"
                            + " paired p (Holm) |\n|---|---|---|---|---|---|---|---|\n");
            for (VariantStatistics.Pair p : VariantStatistics.pairwise(byVariant, "delta")) {
                sb.append(String.format(
                        Locale.ROOT,
                        "| %s vs %s | %.3f | %.3f | %s | %s | %.2f | %d / %d | %s |%n",
                        p.a(),
                        p.b(),
                        p.meanA(),
                        p.meanB(),
                        Html.p(p.welchPHolm()),
                        Html.p(p.mannWhitneyP()),
                        p.cohenD(),
                        p.aBetter(),
                        p.bBetter(),
                        Html.p(p.pairedPHolm())));
            }
        }
        return sb.toString();
    }

    /** A table of text cells as Markdown, the first row its header. */
    static String table(List<List<String>> cells) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            sb.append('|');
            cells.get(i)
                    .forEach(c -> sb.append(' ').append(c.replace("|", "\\|")).append(" |"));
            sb.append('\n');
            if (i == 0) {
                sb.append('|');
                cells.get(0).forEach(c -> sb.append("---|"));
                sb.append('\n');
            }
        }
        return sb.toString();
    }
}
