/**
 * Python code tasks (HumanEval shipped, MBPP-style files) and their verifier, which runs
 * candidates in a {@link dev.revise.envs.code.PythonSandbox}: a separate python3 process per run,
 * killed with its whole tree at the timeout, under whatever of rlimits, namespaces and a privilege
 * drop the platform supports. The protections table, and what happens when one is missing, is in
 * {@code envs/CODE-SANDBOX.md}.
 */
package dev.revise.envs.code;
