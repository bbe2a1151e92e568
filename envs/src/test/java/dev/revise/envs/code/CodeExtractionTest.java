package dev.revise.envs.code;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CodeExtractionTest {
    @Test
    void theLastPythonBlockWins() {
        String r =
                "First try:\n```python\nx = 1\n```\nA shell aside:\n```bash\nls\n```\nFixed:\n```python\nx = 2\n```\n";
        assertThat(CodeExtraction.candidate(r)).isEqualTo("x = 2\n");
    }

    @Test
    void anyFencedBlockWhenNoneIsMarkedPython() {
        assertThat(CodeExtraction.candidate("```\ny = 3\n```\nand\n~~~text\nz = 4\n~~~"))
                .isEqualTo("z = 4\n");
        assertThat(CodeExtraction.candidate("```py\na = 1\n```")).isEqualTo("a = 1\n");
    }

    @Test
    void rawTextWithoutFencesAndTruncatedFences() {
        assertThat(CodeExtraction.candidate("def f():\n    return 1\n")).isEqualTo("def f():\n    return 1\n");
        assertThat(CodeExtraction.candidate("```python\ndef f():\n    return 1"))
                .isEqualTo("def f():\n    return 1\n");
        assertThat(CodeExtraction.candidate("   \n")).isEmpty();
    }

    @Test
    void humanEvalProgramsHandleBodiesAndWholeFunctions() {
        String prompt = "import math\n\ndef f(x):\n    \"\"\"Doc.\"\"\"\n";
        assertThat(CodeExtraction.humanEvalProgram(prompt, "    return x\n", "f"))
                .isEqualTo(prompt + "    return x\n");
        assertThat(CodeExtraction.humanEvalProgram(prompt, "return x", "f")).isEqualTo(prompt + "    return x\n");
        String whole = "def f(x):\n    return math.sqrt(x)\n";
        assertThat(CodeExtraction.humanEvalProgram(prompt, whole, "f")).isEqualTo(prompt + "\n" + whole);
        assertThat(CodeExtraction.definesFunction("async def f (a):", "f")).isTrue();
        assertThat(CodeExtraction.definesFunction("def ff(a):", "f")).isFalse();
    }
}
