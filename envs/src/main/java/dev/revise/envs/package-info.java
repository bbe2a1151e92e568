/**
 * Multi-turn self-correction environments, task sources and verifiers. Pure Java: imports no DJL
 * and no Ray (checked by ArchUnit in experiments).
 */
package dev.revise.envs;
