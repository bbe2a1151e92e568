package dev.revise.rl;

import java.util.OptionalInt;

/** Text to token ids and back, with the special ids a policy needs. */
public interface TextTokenizer {
    /** Token ids of {@code text}, with no special tokens added and no truncation. */
    int[] encode(String text);

    /** Text of {@code ids}; special tokens are skipped when {@code skipSpecial}. */
    String decode(int[] ids, boolean skipSpecial);

    int vocabSize();

    OptionalInt bosId();

    OptionalInt eosId();

    /** The id of a token given by its exact text, if the vocabulary has it. */
    OptionalInt tokenId(String token);
}
