/**
 * Composable reward shaping over verified trajectories. Pure Java: imports no DJL and no Ray
 * (checked by ArchUnit in experiments).
 */
package dev.revise.rewards;
