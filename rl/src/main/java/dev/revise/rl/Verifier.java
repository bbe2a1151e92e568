package dev.revise.rl;

/** Checks one response against a task's reference. Deterministic and thread-safe. */
public interface Verifier {
    Verdict verify(Task task, String response);
}
