package dev.revise.envs.grading;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Golden tables for {@link AnswerGrader#equivalent(String, String)}: prediction | reference. */
class SymbolicEquivalenceTest {
    @ParameterizedTest(name = "{0} == {1}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            value = {
                // numbers
                "1,000,000 | 1000000",
                "-0 | 0",
                "+7 | 7",
                "0.5 | 1/2",
                "0.5 | \\frac{1}{2}",
                "\\dfrac12 | 0.5",
                "\\tfrac{3}{4} | .75",
                "\\frac3{3} | 1",
                "1\\frac{4}{5} | 1.8",
                "50\\% | 0.5",
                "20\\% | 20",
                "28 percent | 28\\%",
                "$18 | 18",
                "\\$10 | 10",
                "14{,}916 | 14916",
                "12,\\!000,\\!023 | 12000023",
                "10\\text{ units} | 10",
                "5.4 \\text{ cents} | 5.4",
                "90^\\circ | 90",
                "0.0833333333333333 | \\frac{1}{12}",
                // radicals, pi, e, functions
                "\\sqrt{4} | 2",
                "10\\sqrt3 + \\sqrt4 | 10\\sqrt{3} + 2",
                "\\frac{10\\sqrt{10.5}}{27} | \\frac{5\\sqrt{42}}{27}",
                "\\sqrt[3]{27} | 3",
                "2\\sqrt{2} | \\sqrt{8}",
                "\\frac{1}{\\sqrt{2}} | \\frac{\\sqrt2}{2}",
                "\\frac94\\pi | \\frac{9}{4}\\pi",
                "2\\pi r | 2r\\pi",
                "\\sin^2 x + \\cos^2 x | 1",
                "\\log_2 8 | 3",
                "e^{2} | e \\cdot e",
                "4! | 24",
                // algebra
                "x^2 + 2*x + 1 | x^2+2x+1",
                "(r+5)^2 | (r+5)(r+5)",
                "\\frac{x^2-1}{x-1} | x+1",
                "2k+2 | 2(k+1)",
                "\\frac{11+9a}{20} | \\frac{9a}{20} + \\frac{11}{20}",
                "x^{2/3} | \\sqrt[3]{x}^2",
                "2ab | 2ba",
                // equations and relations
                "x = 5 | 5",
                "y = x^2+2x+1 | 2x+1+x^2",
                "5 | k = 5",
                "x = 5+5+1 = 1/3 \\approx 11 | x = 1/3",
                "x \\approx 11 | 11",
                "x - 2y + z = 1 | 2x - 4y + 2z = 2",
                "x \\geq 5 | 5 \\le x",
                "-x > -1 | x < 1",
                "x != 5 | x \\neq 5",
                "(p,q) = (3,2) | (3, 2)",
                // structures
                "(1,2) | (1, 2)",
                "\\left( 3, \\frac{\\pi}{2} \\right) | (3, \\frac{\\pi}{2})",
                "[-1, -\\tfrac12) \\cup (0, \\infty) | [-1, -\\frac{1}{2}) \\cup (0, +\\infty)",
                "(0,9) \\cup (9,36) | (9,36) \\cup (0,9)",
                "(-\\infty, 3] | (-\\infty,3]",
                "\\{1,2\\} | \\{2,1\\}",
                "{1,3} | \\{3, 1\\}",
                "3, 5, 7 | 7, 5, 3",
                "1 \\text{ and } 2 | 2, 1",
                "\\pm 2021 | \\{-2021, 2021\\}",
                "3 \\pm 2\\sqrt{2} | 3 + 2\\sqrt2, 3 - 2\\sqrt 2",
                "0 < x < 1 | (0, 1)",
                "x \\in [-2, 7] | [-2,7]",
                "\\begin{pmatrix} -1/3 \\\\ 2/3 \\end{pmatrix} | \\begin{pmatrix} -\\dfrac{1}{3} \\\\ \\dfrac{2}{3} \\end{pmatrix}",
                "\\begin{bmatrix} 1 & 0 \\\\ 0 & 1 \\end{bmatrix} | \\begin{pmatrix}1&0\\\\0&1\\end{pmatrix}",
                "\\emptyset | \\{\\}",
                "\\mathbb{R} | (-\\infty, \\infty)",
                // words
                "\\text{Evelyn} | Evelyn",
                "\\mathrm{E} | E",
                "\\text{(C)} | C",
            })
    void equivalent(String pred, String gold) {
        assertThat(AnswerGrader.equivalent(pred, gold)).as(pred + " vs " + gold).isTrue();
    }

    @ParameterizedTest(name = "{0} != {1}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            value = {
                "1/2 | 2",
                "0.5 | 5",
                "1/3 | 0.33",
                "\\sqrt{2} | 1.414",
                "\\sqrt2 | 1.41421",
                "\\pi | 3.14",
                "x^2 | 2x",
                "x^3+2x+1 | x^2+2x+1",
                "x + 1 | x + 2",
                "(a+5)(b+2) | (+5)(b+2)",
                "2 \\sin b \\cos a | 2 \\sin a \\cos b",
                "(1,2] | [1,2]",
                "[0,1) | [0,9)",
                "(2,4) | (4,2)",
                "(1, 2) | (1, 2, 3)",
                "\\{1,2\\} | \\{1,3\\}",
                "1, 2 | 1, 3",
                "3, 5, 7 | 3, 5, 9",
                "2021 | \\pm 2021",
                "x < 5 | x > 5",
                "x \\leq 5 | x \\geq 5",
                "x > -1 | x < 1",
                "x < 1 | x \\le 1",
                "5x - 7y + 11z + 4 = 0 | x + y - z + 2 = 0",
                "x = 1 | y = 1",
                "(-\\infty, 3] | (-\\infty, 3)",
                "(-\\infty, 3] | (3, \\infty)",
                "\\begin{pmatrix}1 & 2 \\\\ 3 & 5\\end{pmatrix} | \\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}",
                "\\text{east} | \\text{west}",
                "Evelyn | Evenly",
                "\\mathrm{E}*2 | E",
                "1 | 1\\sqrt{19}",
                "1112122_3 | 1112112_3",
                "\\begin{vmatrix}1&2\\\\3&4\\end{vmatrix} | \\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}",
                "-\\infty | \\infty",
            })
    void notEquivalent(String pred, String gold) {
        assertThat(AnswerGrader.equivalent(pred, gold)).as(pred + " vs " + gold).isFalse();
        assertThat(AnswerGrader.equivalent(gold, pred)).as(gold + " vs " + pred).isFalse();
    }

    /** A predicted equation is read as its final value; a reference one only when it names a value. */
    @Test
    void theReferenceDecidesWhetherAnEquationIsAValue() {
        assertThat(AnswerGrader.equivalent("11a+c", "7 = 11a+c")).isFalse();
        assertThat(AnswerGrader.equivalent("7 = 11a+c", "11a+c")).isTrue();
        assertThat(AnswerGrader.equivalent("0", "a + 3z = 0")).isFalse();
        assertThat(AnswerGrader.equivalent("0", "1 = z = x = 0")).isTrue();
        assertThat(AnswerGrader.equivalent("11:21", "V_{1}:V_{2}=11:21")).isTrue();
        assertThat(AnswerGrader.equivalent("4, 5", "AB=4,CD=5")).isTrue();
        assertThat(AnswerGrader.equivalent("(5,2),(7,2)", "p=5,q=2;p=7,q=2")).isTrue();
    }

    @Test
    void listsCanBeRequiredInOrderAndConstantsGivenATolerance() {
        GradingOptions ordered = new GradingOptions(true, 0, 6);
        assertThat(AnswerGrader.equivalent("10, 4, -2", "4, 10, -2")).isTrue();
        assertThat(AnswerGrader.equivalent("10, 4, -2", "4, 10, -2", ordered)).isFalse();
        assertThat(AnswerGrader.equivalent("4, 10, -2", "4, 10, -2", ordered)).isTrue();
        GradingOptions tolerant = new GradingOptions(false, 1e-3, 6);
        assertThat(AnswerGrader.equivalent("1.414", "\\sqrt{2}", tolerant)).isTrue();
        assertThat(AnswerGrader.equivalent("1.42", "\\sqrt{2}", tolerant)).isFalse();
    }

    /** Malformed or hostile input never throws out of equivalent: it is unequal, or equal as text. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                " ",
                "\\frac{1}{",
                "\\sqrt",
                "(((((",
                "))",
                "1/0",
                "\\frac{1}{0}",
                "x^{x^{x^{x^{x^{x}}}}}",
                "10^{10^{10}}",
                "2^{100000}",
                "\\begin{pmatrix} 1 & 2 \\\\ 3 \\end{pmatrix}",
                "\\begin{foo} 1 \\end{foo}",
                "\\left( \\right.",
                "$$$",
                "\\boxed{",
                "{,}",
                "| |",
                "\\sqrt{-1}",
                "\\log 0",
                "(-8)^{1/3}",
                "0^{-1}",
                "\\infty - \\infty",
                "1,,2",
                "a=",
                "=",
                "\\\\\\\\",
                "\\text{}",
                "∑∫√",
            })
    void garbageNeverThrows(String garbage) {
        for (String other : new String[] {"1", "x", garbage, "(1,2)", "\\{1\\}", "x = 1"}) {
            assertThatCode(() -> AnswerGrader.equivalent(garbage, other)).doesNotThrowAnyException();
            assertThatCode(() -> AnswerGrader.equivalent(other, garbage)).doesNotThrowAnyException();
        }
        assertThat(AnswerGrader.equivalent(garbage, "1")).isFalse();
    }

    @Test
    void deepNestingIsRejectedNotAStackOverflow() {
        String deep = "(".repeat(5000) + "1" + ")".repeat(5000);
        assertThatCode(() -> AnswerGrader.equivalent(deep, "1")).doesNotThrowAnyException();
        assertThat(AnswerGrader.equivalent("((((1))))", "1")).isTrue();
    }
}
