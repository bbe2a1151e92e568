package dev.revise.policies.checkpoint;

/** A checkpoint file is missing, malformed or does not fit the model; the message names the file and field. */
public class CheckpointException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
