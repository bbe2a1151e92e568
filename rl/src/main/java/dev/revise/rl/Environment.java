package dev.revise.rl;

/** A stateless factory of episodes; shareable across threads. */
public interface Environment {
    Episode start(Task task, long seed);
}
