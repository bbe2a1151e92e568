/**
 * The vocabulary every revise module speaks: tasks and task sources, messages, verifiers and
 * verdicts, environments and episodes, turns and trajectories, rewards, sampling parameters, and
 * the {@link dev.revise.rl.Policy} and {@link dev.revise.rl.Generator} interfaces (see
 * docs/architecture.md section 2). Plain records and interfaces over DJL's {@code api} only; it
 * imports no other revise package, so envs, rewards, policies and experiments may all use it.
 */
package dev.revise.rl;
