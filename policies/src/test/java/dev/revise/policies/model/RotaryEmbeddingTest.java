package dev.revise.policies.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Inverse frequencies of every RoPE variant against transformers 5.18's own functions. The
 * expected arrays were printed by {@code ROPE_INIT_FUNCTIONS[type](LlamaConfig(hidden_size=64,
 * num_attention_heads=2, head_dim=32, max_position_embeddings=128, rope_parameters={...,
 * "rope_theta": 10000.0}), None)} (and {@code LlamaRotaryEmbedding} for the default), with the
 * parameters below; dynamic with {@code seq_len=300}. The interop suite checks whole models.
 */
class RotaryEmbeddingTest {
    static final float[] DEFAULT = {
        1.0f,
        0.5623413324356079f,
        0.3162277638912201f,
        0.17782793939113617f,
        0.10000000149011612f,
        0.05623412877321243f,
        0.03162277862429619f,
        0.017782794311642647f,
        0.009999999776482582f,
        0.005623413249850273f,
        0.003162277862429619f,
        0.0017782794311642647f,
        0.0010000000474974513f,
        0.000562341301701963f,
        0.0003162277862429619f,
        0.00017782794020604342f
    };
    static final float[] LINEAR_2 = {
        0.5f,
        0.28117066621780396f,
        0.15811388194561005f,
        0.08891396969556808f,
        0.05000000074505806f,
        0.028117064386606216f,
        0.015811389312148094f,
        0.008891397155821323f,
        0.004999999888241291f,
        0.0028117066249251366f,
        0.0015811389312148094f,
        0.0008891397155821323f,
        0.0005000000237487257f,
        0.0002811706508509815f,
        0.00015811389312148094f,
        8.891397010302171e-05f
    };
    static final float[] DYNAMIC_2_AT_300 = {
        1.0f,
        0.5154871940612793f,
        0.26572704315185547f,
        0.136978879570961f,
        0.07061085850000381f,
        0.0363989919424057f,
        0.018763212487101555f,
        0.00967219565063715f,
        0.004985892679542303f,
        0.002570163691416383f,
        0.0013248864561319351f,
        0.000682962010614574f,
        0.0003520581522025168f,
        0.0001814814459066838f,
        9.355135989608243e-05f,
        4.822452683583833e-05f
    };
    static final float[] LLAMA3_8_1_4_64 = {
        1.0f,
        0.5623413324356079f,
        0.24438458681106567f,
        0.06430987268686295f,
        0.013042256236076355f,
        0.007029266096651554f,
        0.0039528473280370235f,
        0.002222849288955331f,
        0.0012499999720603228f,
        0.0007029266562312841f,
        0.00039528473280370235f,
        0.00022228492889553308f,
        0.0001250000059371814f,
        7.029266271274537e-05f,
        3.9528473280370235e-05f,
        2.2228492525755428e-05f
    };
    static final float[] YARN_4_32 = {
        1.0f,
        0.42175596952438354f,
        0.15811388194561005f,
        0.04445698484778404f,
        0.02500000037252903f,
        0.014058532193303108f,
        0.007905694656074047f,
        0.004445698577910662f,
        0.0024999999441206455f,
        0.0014058533124625683f,
        0.0007905694656074047f,
        0.00044456985779106617f,
        0.0002500000118743628f,
        0.00014058532542549074f,
        7.905694656074047e-05f,
        4.4456985051510856e-05f
    };

    private static void assertClose(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            // transformers' float32 pow may differ from a correctly rounded one in the last bit
            assertEquals(expected[i], actual[i], 2 * Math.ulp(expected[i]), "inv_freq[" + i + "]");
        }
    }

    private static RotaryEmbedding rope(RopeScaling s) {
        return new RotaryEmbedding(32, 10000.0, s, 128);
    }

    @Test
    void everyVariantMatchesTransformers() {
        assertClose(DEFAULT, rope(RopeScaling.NONE).invFreq(10));
        assertClose(LINEAR_2, rope(RopeScaling.linear(2)).invFreq(10));
        assertClose(LLAMA3_8_1_4_64, rope(RopeScaling.llama3(8, 1, 4, 64)).invFreq(10));
        assertClose(YARN_4_32, rope(RopeScaling.yarn(4, 32)).invFreq(10));
        assertEquals(1.138629436111989, rope(RopeScaling.yarn(4, 32)).attentionScaling(), 1e-6);
        assertClose(DYNAMIC_2_AT_300, rope(RopeScaling.dynamic(2)).invFreq(300));
    }

    @Test
    void dynamicScalesOnlyPastMaxPositions() {
        RotaryEmbedding dynamic = rope(RopeScaling.dynamic(2));
        assertFalse(dynamic.dependsOnLength(128));
        assertTrue(dynamic.dependsOnLength(129));
        assertClose(DEFAULT, dynamic.invFreq(100));
        assertClose(DEFAULT, dynamic.invFreq(128));
    }

    @Test
    void tablesHoldCosAndSinOfPositionTimesFrequencyInBothHalves() {
        RotaryEmbedding r = rope(RopeScaling.NONE);
        float[] cos = new float[3 * 32];
        float[] sin = new float[3 * 32];
        r.fill(cos, sin, 3, 3, 1.0);
        float angle = 2 * DEFAULT[1];
        assertEquals((float) Math.cos(angle), cos[2 * 32 + 1], 1e-7f);
        assertEquals(cos[2 * 32 + 1], cos[2 * 32 + 17]);
        assertEquals((float) Math.sin(angle), sin[2 * 32 + 1], 1e-7f);
        assertEquals(1f, cos[0]);
        assertEquals(0f, sin[5]);
    }
}
