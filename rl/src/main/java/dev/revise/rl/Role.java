package dev.revise.rl;

/** Who speaks a {@link Message}. */
public enum Role {
    SYSTEM,
    USER,
    ASSISTANT;

    /** The lower-case name chat templates use ({@code "user"}, ...). */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
