package dev.revise.rl;

import java.util.List;

/** How a policy turns a conversation into the text and tokens it continues. */
public interface ConversationCodec {
    TextTokenizer tokenizer();

    /** The conversation as text, ending with the header of the assistant turn to write next. */
    String render(List<Message> conversation);
}
