package dev.revise.rl.learn;

/** Metric names, '/'-namespaced, in one place. Per-turn names append the 1-based turn: {@code reward/turn1}. */
public final class MetricNames {
    private MetricNames() {}

    public static final String LOSS = "policy/loss";
    public static final String CLIP_FRACTION = "policy/clipfrac";
    public static final String APPROX_KL = "policy/approx_kl";
    public static final String ENTROPY = "policy/entropy";
    public static final String GRAD_NORM = "optim/grad_norm";
    public static final String LEARNING_RATE = "optim/lr";
    public static final String SKIPPED_STEPS = "optim/skipped_steps";
    /** 1 when this update's step was skipped (non-finite loss or gradients), else 0. */
    public static final String STEP_SKIPPED = "optim/step_skipped";
    /** Optimizer steps that had nothing to learn from (every group filtered, an empty mini-batch). */
    public static final String IDLE_STEPS = "optim/idle_steps";

    /** Mean of |log pi_sampler - log pi_learner| over the batch's generated tokens (before the update). */
    public static final String MISMATCH_LOGP_ABS_MEAN = "mismatch/logp_abs_mean";
    /** The largest |log pi_sampler - log pi_learner| of the batch. */
    public static final String MISMATCH_LOGP_ABS_MAX = "mismatch/logp_abs_max";
    /** Mean truncated importance weight min(pi_learner / pi_sampler, C) (with grpo.rollout_is_cap). */
    public static final String MISMATCH_IS_WEIGHT_MEAN = "mismatch/is_weight_mean";
    /** Fraction of generated tokens whose importance ratio exceeded the cap. */
    public static final String MISMATCH_IS_CAPPED_FRACTION = "mismatch/is_capped_fraction";

    public static final String REWARD_MEAN = "reward/mean";
    public static final String REWARD_TURN = "reward/turn";
    public static final String REWARD_COMPONENT = "reward/";
    public static final String KL_TURN = "kl/turn";
    public static final String ADVANTAGE_MEAN = "advantage/mean";
    public static final String ZERO_VARIANCE_GROUPS = "batch/zero_variance_group_fraction";
    public static final String RESPONSE_LENGTH = "batch/response_tokens_mean";
    public static final String SEQUENCE_LENGTH = "batch/sequence_tokens_mean";
    public static final String LEARNER_TOKENS_PER_S = "perf/learner_tokens_per_s";
    /** Tokens the policy generated for the update's batch, over all turns (compute-matched reports sum it). */
    public static final String GENERATED_TOKENS = "batch/generated_tokens";

    public static final String ROLLOUT_TOKENS_PER_S = "perf/rollout_tokens_per_s";
    /**
     * Of the context tokens of every turn, the fraction whose keys and values were not computed by
     * a prefill: reused from the episode's cache of earlier turns, or copied from a group's shared
     * prompt (0 with {@code rollout.kv_reuse: false}).
     */
    public static final String KV_REUSED_FRACTION = "perf/kv_reused_fraction";
    /**
     * Turns whose context was not an extension of what the episode's cache held (a window over
     * attempts, a template that rewrites earlier turns): only the common prefix was reused.
     */
    /**
     * Versions between the weights a batch was sampled with and the learner's that trains on it: 0
     * on policy, 1 with {@code rollout.overlap: 1} after the first update.
     */
    public static final String POLICY_LAG = "perf/policy_lag";

    public static final String KV_FALLBACK_TURNS = "perf/kv_fallback_turns";
    /** Accuracy of attempt t on the training batch: {@code batch/acc_t1}, ... */
    public static final String BATCH_ACC_TURN = "batch/acc_t";

    public static final String BATCH_DELTA = "batch/delta";
    public static final String BATCH_I_TO_C = "batch/i_to_c";
    public static final String BATCH_C_TO_I = "batch/c_to_i";
    /**
     * Of the turns after the first, the fraction whose appended context differs from a full
     * re-render of the conversation by the chat template (Rollout#rerenderMismatches).
     */
    public static final String RERENDER_MISMATCH = "batch/rerender_mismatch_fraction";

    public static String perTurn(String prefix, int turnIndex) {
        return prefix + (turnIndex + 1);
    }
}
