package dev.revise.policies.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.revise.policies.checkpoint.CheckpointException;
import dev.revise.rl.Message;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model's own Jinja chat template renders as Hugging Face's apply_chat_template would. */
class HfChatTemplateTest {
    /** SmolLM2-Instruct's template (ChatML with a default system prompt). */
    static final String SMOLLM2 = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
            + "{{ '<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\\n' }}"
            + "{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /** A Llama-2-style template with bos_token and raise_exception. */
    static final String LLAMA2 =
            "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
                    + "{% for message in messages %}"
                    + "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + message['content'] + ' [/INST]' }}"
                    + "{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] + ' ' + eos_token }}{% endif %}"
                    + "{% endfor %}";

    @TempDir
    Path dir;

    @Test
    void smolLm2TemplateRendersChatMl() throws Exception {
        Files.writeString(
                dir.resolve("tokenizer_config.json"),
                new com.fasterxml.jackson.databind.ObjectMapper()
                        .writeValueAsString(java.util.Map.of(
                                "chat_template", SMOLLM2, "eos_token", "<|im_end|>", "bos_token", "<|im_start|>")));
        HfChatTemplate t = HfChatTemplate.load(dir).orElseThrow();
        String text = t.render(List.of(Message.user("2+2?")));
        assertEquals(
                "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                        + "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n",
                text);
        assertEquals("<|im_end|>", t.endOfTurn());
    }

    @Test
    void bosEosAndRaiseException() {
        HfChatTemplate t = new HfChatTemplate(LLAMA2, "<s>", "</s>");
        assertEquals(
                "<s>[INST] hi [/INST] yo </s><s>[INST] again [/INST]",
                t.render(List.of(Message.user("hi"), Message.assistant("yo"), Message.user("again"))));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> t.render(List.of(Message.system("s"))));
        assertThat(e.getMessage()).contains("System role not supported");
    }

    @Test
    void missingFileOrKeyMeansNoTemplateAndBadKeyIsNamed() throws Exception {
        assertEquals(java.util.Optional.empty(), HfChatTemplate.load(dir));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\"}");
        assertEquals(java.util.Optional.empty(), HfChatTemplate.load(dir));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": 3}");
        CheckpointException e = assertThrows(CheckpointException.class, () -> HfChatTemplate.load(dir));
        assertThat(e.getMessage()).contains("tokenizer_config.json").contains("chat_template");
    }

    /**
     * transformers 5.18 merges a legacy special_tokens_map.json over tokenizer_config.json's tokens
     * only when the config has no added_tokens_decoder (printed by apply_chat_template on these files:
     * '<|endoftext|>|<|im_end|>|x', then '<|im_start|>|<|im_end|>|x').
     */
    @Test
    void legacySpecialTokensMapOverridesOnlyLegacyConfigs() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        java.util.Map<String, Object> config = new java.util.LinkedHashMap<>(java.util.Map.of(
                "chat_template",
                "{{ bos_token }}|{{ eos_token }}|{% for m in messages %}{{ m.content }}{% endfor %}",
                "bos_token",
                "<|im_start|>",
                "eos_token",
                "<|im_end|>"));
        Files.writeString(dir.resolve("tokenizer_config.json"), json.writeValueAsString(config));
        Files.writeString(dir.resolve("special_tokens_map.json"), "{\"bos_token\": \"<|endoftext|>\"}");
        List<Message> x = List.of(Message.user("x"));
        assertEquals(
                "<|endoftext|>|<|im_end|>|x",
                HfChatTemplate.load(dir).orElseThrow().render(x, false));
        config.put("added_tokens_decoder", java.util.Map.of("151643", java.util.Map.of("content", "<|endoftext|>")));
        Files.writeString(dir.resolve("tokenizer_config.json"), json.writeValueAsString(config));
        assertEquals(
                "<|im_start|>|<|im_end|>|x",
                HfChatTemplate.load(dir).orElseThrow().render(x, false));
    }
}
