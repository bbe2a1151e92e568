package dev.revise.rewards;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Builds a {@link CompositeReward} from configuration (a Jackson tree, from YAML or JSON): a map of
 * named terms, each with a {@code type}, an optional {@code weight} (1), optional {@code turns}
 * (1-based; all when absent) and the type's parameters; plus an optional top-level {@code
 * turn_discount}. A reward-shaping variant is a config diff, and {@code --set
 * rewards.progress.alpha=10} addresses one term. Every error names the dotted path. Types are
 * registered here and only here.
 *
 * <pre>
 * rewards:
 *   correct:  {type: correctness}
 *   progress: {type: progress, alpha: 10}
 *   format:   {type: format, weight: 0.1}
 * </pre>
 */
public final class RewardConfig {
    private RewardConfig() {}

    /** The known term types. */
    public static final Set<String> TYPES = Set.of(
            "correctness",
            "final_correctness",
            "progress",
            "rise",
            "format",
            "length",
            "overlong",
            "changed_correct",
            "unchanged_wrong");

    public static CompositeReward parse(JsonNode node, String path) {
        if (node == null || !node.isObject() || node.isEmpty()) {
            throw new IllegalArgumentException(path + ": expected a map of named reward terms");
        }
        Map<String, CompositeReward.Entry> entries = new LinkedHashMap<>();
        double discount = 1.0;
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            String where = path + "." + field.getKey();
            if (field.getKey().equals("turn_discount")) {
                discount = number(field.getValue(), where, 1.0);
                continue;
            }
            entries.put(field.getKey(), entry(field.getValue(), where));
        }
        try {
            return new CompositeReward(entries, discount);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(path + "." + e.getMessage(), e);
        }
    }

    private static CompositeReward.Entry entry(JsonNode node, String where) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(where + ": expected a map with a 'type'");
        }
        JsonNode typeNode = node.get("type");
        if (typeNode == null || !typeNode.isTextual()) {
            throw new IllegalArgumentException(
                    where + ".type: missing; expected one of " + new java.util.TreeSet<>(TYPES));
        }
        String type = typeNode.asText();
        Set<String> allowed = new LinkedHashSet<>(Set.of("type", "weight", "turns"));
        RewardTerm term;
        try {
            term = switch (type) {
                case "correctness" -> {
                    allowed.add("partial_credit");
                    yield new RewardTerm.Correctness(
                            bool(node.get("partial_credit"), where + ".partial_credit", false));
                }
                case "final_correctness" -> {
                    allowed.add("partial_credit");
                    yield new RewardTerm.FinalCorrectness(
                            bool(node.get("partial_credit"), where + ".partial_credit", false));
                }
                case "progress" -> {
                    allowed.add("alpha");
                    allowed.add("partial_credit");
                    yield new RewardTerm.Progress(
                            number(node.get("alpha"), where + ".alpha", 10.0),
                            bool(node.get("partial_credit"), where + ".partial_credit", false));
                }
                case "rise" -> {
                    allowed.add("correct");
                    allowed.add("incorrect");
                    allowed.add("unparseable");
                    yield new RewardTerm.RiseTurn(
                            number(node.get("correct"), where + ".correct", 1.0),
                            number(node.get("incorrect"), where + ".incorrect", 0.0),
                            number(node.get("unparseable"), where + ".unparseable", -1.0));
                }
                case "format" -> new RewardTerm.Format();
                case "length" -> new RewardTerm.Length();
                case "overlong" -> {
                    allowed.add("max_tokens");
                    allowed.add("buffer");
                    yield new RewardTerm.Overlong(
                            (int) number(node.get("max_tokens"), where + ".max_tokens", null),
                            (int) number(node.get("buffer"), where + ".buffer", null));
                }
                case "changed_correct" -> new RewardTerm.ChangedCorrect();
                case "unchanged_wrong" -> new RewardTerm.UnchangedWrong();
                default ->
                    throw new IllegalArgumentException("type: unknown reward type '" + type + "'; expected one of "
                            + new java.util.TreeSet<>(TYPES));
            };
        } catch (IllegalArgumentException e) {
            String msg = e.getMessage();
            throw new IllegalArgumentException(msg.startsWith(where) ? msg : where + "." + msg, e);
        }
        for (Iterator<String> keys = node.fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (!allowed.contains(key)) {
                throw new IllegalArgumentException(
                        where + "." + key + ": unknown key for reward type '" + type + "'; expected one of " + allowed);
            }
        }
        double weight = number(node.get("weight"), where + ".weight", 1.0);
        Set<Integer> turns = new LinkedHashSet<>();
        JsonNode turnsNode = node.get("turns");
        if (turnsNode != null) {
            if (!turnsNode.isArray()) {
                throw new IllegalArgumentException(where + ".turns: expected a list of 1-based turn numbers");
            }
            for (JsonNode t : turnsNode) {
                if (!t.canConvertToInt() || t.asInt() < 1) {
                    throw new IllegalArgumentException(where + ".turns: expected turn numbers >= 1, got " + t);
                }
                turns.add(t.asInt());
            }
        }
        return new CompositeReward.Entry(term, weight, turns);
    }

    private static double number(JsonNode n, String where, Double fallback) {
        if (n == null || n.isNull()) {
            if (fallback == null) {
                throw new IllegalArgumentException(where + ": missing; expected a number");
            }
            return fallback;
        }
        if (!n.isNumber()) {
            throw new IllegalArgumentException(where + ": expected a number, got " + n);
        }
        return n.asDouble();
    }

    private static boolean bool(JsonNode n, String where, boolean fallback) {
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isBoolean()) {
            throw new IllegalArgumentException(where + ": expected true or false, got " + n);
        }
        return n.asBoolean();
    }
}
