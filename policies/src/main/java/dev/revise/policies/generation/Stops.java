package dev.revise.policies.generation;

import dev.revise.rl.FinishReason;
import dev.revise.rl.SamplingParams;
import dev.revise.rl.TextTokenizer;
import java.util.Arrays;

/** When a row stops: its newest token against the stop ids, its decoded text against the stop strings. */
final class Stops {
    private Stops() {}

    /**
     * The reason the first {@code length} of {@code tokens} stop, or null to go on; on a stop
     * string, {@code cutText[0]} receives the text before it.
     */
    static FinishReason reason(
            TextTokenizer tokenizer, SamplingParams params, int[] tokens, int length, String[] cutText) {
        if (params.stopTokenIds().contains(tokens[length - 1])) {
            return FinishReason.STOP_TOKEN;
        }
        if (params.stopStrings().isEmpty()) {
            return null;
        }
        String text = tokenizer.decode(Arrays.copyOf(tokens, length), true);
        int cut = -1;
        for (String stop : params.stopStrings()) {
            int at = text.indexOf(stop);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        if (cut >= 0) {
            cutText[0] = text.substring(0, cut);
            return FinishReason.STOP_STRING;
        }
        return null;
    }
}
