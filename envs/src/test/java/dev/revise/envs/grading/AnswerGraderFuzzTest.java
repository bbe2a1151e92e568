package dev.revise.envs.grading;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzzes the math answer grader: extraction of every answer type from a model's response and the
 * equivalence of two final answers. Property: neither ever throws, on any string, and equivalence
 * of a string with itself holds whenever it is not blank.
 *
 * <p>Input: the response/predicted answer, a NUL byte, then the reference answer (without a NUL
 * both are the whole input). Regression inputs: {@code
 * src/test/resources/dev/revise/envs/grading/AnswerGraderFuzzTestInputs/}.
 */
class AnswerGraderFuzzTest {
    private static final List<String> ANSWER_TYPES =
            Arrays.asList(null, "gsm8k_hash", "gsm8k_A_colon", "gsm8k_number", "boxed", "multiple_choice_letter");

    @FuzzTest(maxDuration = "30s")
    void gradeAnswers(byte[] data) {
        int nul = indexOf(data, (byte) 0);
        String pred = new String(data, 0, nul < 0 ? data.length : nul, StandardCharsets.UTF_8);
        String gold = nul < 0 ? pred : new String(data, nul + 1, data.length - nul - 1, StandardCharsets.UTF_8);
        for (String type : ANSWER_TYPES) {
            AnswerGrader.extract(pred, type);
        }
        AnswerGrader.equivalent(pred, gold);
        AnswerGrader.equivalent(gold, pred);
        if (!pred.isBlank() && AnswerGrader.normalise(pred).length() > 0) {
            assertEquals(true, AnswerGrader.equivalent(pred, pred), () -> "not equivalent to itself: " + pred);
        }
    }

    private static int indexOf(byte[] data, byte b) {
        for (int i = 0; i < data.length; i++) {
            if (data[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
