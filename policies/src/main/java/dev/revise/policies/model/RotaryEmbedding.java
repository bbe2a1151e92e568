package dev.revise.policies.model;

/**
 * Rotary position embedding tables, computed as transformers 5.x computes them
 * ({@code modeling_rope_utils}): the inverse frequencies in float32 from the same sequence of
 * float32 operations (so a table matches transformers' to the last bit or within one rounding),
 * angles as float32 products {@code position * inv_freq}, then cos and sin times the variant's
 * attention scaling. Pure Java: {@link LlamaModel} turns the tables into tensors.
 *
 * <p>Variants: {@code default}; {@code linear} (inv_freq / factor); {@code llama3} (wavelength
 * bands scaled by factor with a smooth ramp between {@code low_freq_factor} and {@code
 * high_freq_factor}); {@code yarn} (NTK-by-parts interpolation and an attention factor on cos/sin);
 * {@code dynamic} (NTK base growth once the sequence is longer than {@code max_position_embeddings}:
 * the table depends on the length of the sequence being computed, see {@link #invFreq(int)}).
 */
public final class RotaryEmbedding {
    private final int headDim;
    private final double theta;
    private final RopeScaling scaling;
    private final int maxPositions;
    private final float[] baseInvFreq;

    public RotaryEmbedding(int headDim, double theta, RopeScaling scaling, int maxPositions) {
        this.headDim = headDim;
        this.theta = theta;
        this.scaling = scaling;
        this.maxPositions = maxPositions;
        this.baseInvFreq = compute(maxPositions);
    }

    public static RotaryEmbedding of(LlamaConfig c) {
        return new RotaryEmbedding(c.headDim(), c.ropeTheta(), c.ropeScaling(), c.maxPositionEmbeddings());
    }

    /** The multiplier of cos and sin (yarn's attention factor; 1 otherwise). */
    public float attentionScaling() {
        return scaling.type().equals("yarn") ? (float) scaling.attentionFactor() : 1f;
    }

    /** True when some sequence length changes the table (dynamic NTK). */
    public boolean lengthDependent() {
        return scaling.type().equals("dynamic");
    }

    /** True when the table depends on the sequence length {@code s} (dynamic NTK beyond max positions). */
    public boolean dependsOnLength(int s) {
        return scaling.type().equals("dynamic") && s > maxPositions;
    }

    /**
     * The Dh/2 inverse frequencies for a forward pass over positions [0, s). Only {@code dynamic}
     * depends on s: transformers recomputes its base from {@code max(position_ids) + 1} whenever
     * that exceeds the largest length seen so far, and resets below {@code max_position_embeddings};
     * revise computes it from s for every call, which is the same for a fresh model and for
     * generation (lengths only grow), and differs only where transformers' cached growth from an
     * earlier, longer call would persist.
     */
    public float[] invFreq(int s) {
        return dependsOnLength(s) ? compute(s) : baseInvFreq.clone();
    }

    /**
     * Fills {@code cos} and {@code sin} ({@code positions} rows of Dh, the two halves equal, as
     * transformers' {@code cat(freqs, freqs)}) times {@code scale} and the attention scaling.
     */
    public void fill(float[] cos, float[] sin, int positions, int s, double scale) {
        float[] inv = invFreq(s);
        int half = headDim / 2;
        float attention = attentionScaling();
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < half; i++) {
                float angle = (float) p * inv[i]; // a float32 product, as the matmul in transformers
                float c = (float) Math.cos(angle) * attention;
                float sn = (float) Math.sin(angle) * attention;
                c = (float) (c * scale);
                sn = (float) (sn * scale);
                cos[p * headDim + i] = c;
                cos[p * headDim + i + half] = c;
                sin[p * headDim + i] = sn;
                sin[p * headDim + i + half] = sn;
            }
        }
    }

    private float[] compute(int seqLen) {
        int dim = headDim;
        int half = dim / 2;
        float[] inv = new float[half];
        float base = (float) theta;
        if (scaling.type().equals("dynamic")) {
            // base * ((factor * seq_len / max_pos) - (factor - 1)) ** (dim / (dim - 2)), in float32
            float f = (float) scaling.factor();
            float len = Math.max(seqLen, maxPositions);
            float growth = (f * len) / (float) maxPositions - (float) (scaling.factor() - 1);
            base = (float) theta * (float) Math.pow(growth, (double) dim / (dim - 2));
        }
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / (float) dim;
            inv[i] = 1.0f / (float) Math.pow(base, exponent);
        }
        switch (scaling.type()) {
            case "linear" -> {
                float f = (float) scaling.factor();
                for (int i = 0; i < half; i++) {
                    inv[i] /= f;
                }
            }
            case "llama3" -> llama3(inv);
            case "yarn" -> yarn(inv, base, dim);
            default -> {}
        }
        return inv;
    }

    /** Llama 3.1's wavelength bands ({@code _compute_llama3_parameters}). */
    private void llama3(float[] inv) {
        float factor = (float) scaling.factor();
        float low = (float) scaling.lowFreqFactor();
        double old = scaling.originalMaxPositions();
        float lowWavelen = (float) (old / scaling.lowFreqFactor());
        float highWavelen = (float) (old / scaling.highFreqFactor());
        float twoPi = (float) (2 * Math.PI);
        for (int i = 0; i < inv.length; i++) {
            float wavelen = twoPi / inv[i];
            float scaled = wavelen > lowWavelen ? inv[i] / factor : inv[i];
            float smooth = ((float) old / wavelen - low) / (float) (scaling.highFreqFactor() - scaling.lowFreqFactor());
            float smoothed = (1 - smooth) * scaled / factor + smooth * scaled;
            boolean medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
            inv[i] = medium ? smoothed : scaled;
        }
    }

    /** YaRN's NTK-by-parts blend of interpolated and extrapolated frequencies ({@code _compute_yarn_parameters}). */
    private void yarn(float[] inv, float base, int dim) {
        double factor = scaling.factor();
        // the correction range is Python float arithmetic on the configured theta
        double lowDim = correctionDim(scaling.betaFast(), dim, theta, scaling.originalMaxPositions());
        double highDim = correctionDim(scaling.betaSlow(), dim, theta, scaling.originalMaxPositions());
        if (scaling.truncate()) {
            lowDim = Math.floor(lowDim);
            highDim = Math.ceil(highDim);
        }
        double lo = Math.max(lowDim, 0);
        double hi = Math.min(highDim, dim - 1);
        if (lo == hi) {
            hi += 0.001; // transformers' guard against a zero-width ramp
        }
        for (int i = 0; i < inv.length; i++) {
            float posFreq = (float) Math.pow(base, (float) (2 * i) / (float) dim);
            float extrapolation = 1.0f / posFreq;
            float interpolation = 1.0f / ((float) factor * posFreq);
            float ramp = ((float) i - (float) lo) / (float) (hi - lo);
            ramp = Math.min(1f, Math.max(0f, ramp));
            float extrapolationFactor = 1 - ramp;
            inv[i] = interpolation * (1 - extrapolationFactor) + extrapolation * extrapolationFactor;
        }
    }

    private static double correctionDim(double rotations, int dim, double base, int maxPositions) {
        return (dim * Math.log(maxPositions / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
    }
}
