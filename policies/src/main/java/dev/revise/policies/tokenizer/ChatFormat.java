package dev.revise.policies.tokenizer;

import dev.revise.rl.Message;
import java.util.List;

/**
 * Renders a multi-turn conversation as the text a causal LM continues. The default is ChatML
 * ({@code <|im_start|>role\ncontent<|im_end|>\n}), which Qwen2 and SmolLM2 instruct models use.
 */
public interface ChatFormat {
    /** The conversation, followed by the header of the assistant turn to write next. */
    String render(List<Message> conversation);

    /**
     * The conversation, with the next assistant turn's header only if {@code addGenerationPrompt}
     * (as {@code apply_chat_template(add_generation_prompt=...)}).
     */
    String render(List<Message> conversation, boolean addGenerationPrompt);

    /** Text that ends an assistant turn (a stop string for sampling). */
    String endOfTurn();

    /**
     * Message contents concatenated with no role markers: for character-level models on built-in
     * tasks, where the task's own text carries the structure (e.g. {@code Q3+5-7+2-9:}, an attempt,
     * then the {@code |} check-and-rewrite marker as the instruction). Turns end at end-of-sequence.
     */
    ChatFormat PLAIN = new ChatFormat() {
        @Override
        public String render(List<Message> conversation) {
            return render(conversation, true);
        }

        @Override
        public String render(List<Message> conversation, boolean addGenerationPrompt) {
            StringBuilder sb = new StringBuilder();
            for (Message m : conversation) {
                sb.append(m.content());
            }
            return sb.toString();
        }

        @Override
        public String endOfTurn() {
            return "";
        }
    };

    ChatFormat CHATML = new ChatFormat() {
        @Override
        public String render(List<Message> conversation) {
            return render(conversation, true);
        }

        @Override
        public String render(List<Message> conversation, boolean addGenerationPrompt) {
            StringBuilder sb = new StringBuilder();
            for (Message m : conversation) {
                sb.append("<|im_start|>")
                        .append(m.role().wireName())
                        .append('\n')
                        .append(m.content())
                        .append("<|im_end|>\n");
            }
            return addGenerationPrompt ? sb.append("<|im_start|>assistant\n").toString() : sb.toString();
        }

        @Override
        public String endOfTurn() {
            return "<|im_end|>";
        }
    };
}
