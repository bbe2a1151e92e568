package dev.revise.policies.model;

/**
 * The rotary-embedding variant of a Hugging Face config ({@code rope_scaling} in the 4.x layout,
 * {@code rope_parameters} in the 5.x one), with every field the variant reads resolved to the value
 * transformers uses. {@link #NONE} is plain RoPE ({@code rope_type: default}).
 *
 * @param type {@code default}, {@code linear}, {@code dynamic}, {@code llama3} or {@code yarn}
 * @param factor the scaling factor (linear, dynamic, llama3, yarn)
 * @param lowFreqFactor llama3's {@code low_freq_factor}
 * @param highFreqFactor llama3's {@code high_freq_factor}
 * @param originalMaxPositions {@code original_max_position_embeddings} (llama3, yarn)
 * @param attentionFactor yarn's cos/sin multiplier, already derived from {@code factor}, {@code
 *     mscale} and {@code mscale_all_dim} when the config does not give it
 * @param betaFast yarn's {@code beta_fast}
 * @param betaSlow yarn's {@code beta_slow}
 * @param truncate yarn's {@code truncate}
 */
public record RopeScaling(
        String type,
        double factor,
        double lowFreqFactor,
        double highFreqFactor,
        int originalMaxPositions,
        double attentionFactor,
        double betaFast,
        double betaSlow,
        boolean truncate) {

    public static final RopeScaling NONE = new RopeScaling("default", 1, 0, 0, 0, 1, 0, 0, true);

    public RopeScaling {
        switch (type) {
            case "default" -> {}
            case "linear", "dynamic" -> require(factor > 0, "factor", factor);
            case "llama3" -> {
                require(factor > 0, "factor", factor);
                require(lowFreqFactor > 0, "low_freq_factor", lowFreqFactor);
                require(highFreqFactor > lowFreqFactor, "high_freq_factor (> low_freq_factor)", highFreqFactor);
                require(originalMaxPositions > 0, "original_max_position_embeddings", originalMaxPositions);
            }
            case "yarn" -> {
                require(factor > 0, "factor", factor);
                require(originalMaxPositions > 0, "original_max_position_embeddings", originalMaxPositions);
                require(attentionFactor > 0, "attention_factor", attentionFactor);
            }
            default ->
                throw new IllegalArgumentException("rope type '" + type
                        + "' is not implemented (supported: default, linear, dynamic, llama3, yarn)");
        }
    }

    private static void require(boolean ok, String key, double value) {
        if (!ok) {
            throw new IllegalArgumentException("rope key '" + key + "' has an invalid value " + value);
        }
    }

    public static RopeScaling linear(double factor) {
        return new RopeScaling("linear", factor, 0, 0, 0, 1, 0, 0, true);
    }

    public static RopeScaling dynamic(double factor) {
        return new RopeScaling("dynamic", factor, 0, 0, 0, 1, 0, 0, true);
    }

    public static RopeScaling llama3(double factor, double low, double high, int originalMax) {
        return new RopeScaling("llama3", factor, low, high, originalMax, 1, 0, 0, true);
    }

    /** YaRN with transformers' defaults: beta_fast 32, beta_slow 1, attention factor 0.1 ln(factor) + 1. */
    public static RopeScaling yarn(double factor, int originalMax) {
        return new RopeScaling("yarn", factor, 0, 0, originalMax, yarnMscale(factor, 1), 32, 1, true);
    }

    /** YaRN's {@code get_mscale}: 0.1 mscale ln(scale) + 1 above scale 1. */
    static double yarnMscale(double scale, double mscale) {
        return scale <= 1 ? 1.0 : 0.1 * mscale * Math.log(scale) + 1.0;
    }

    public boolean isDefault() {
        return type.equals("default");
    }
}
