/**
 * Task files and finite task sources: JSONL loading (plain or gzipped, configurable fields, the
 * shipped GSM8K and MATH500 data; the code package reads HumanEval through it) and a seeded
 * source that reshuffles every epoch and resumes from a cursor. Pure Java over the {@code rl}
 * vocabulary (no DJL, no Ray).
 */
package dev.revise.envs.tasks;
