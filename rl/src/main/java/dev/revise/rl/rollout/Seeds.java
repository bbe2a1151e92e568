package dev.revise.rl.rollout;

import java.nio.charset.StandardCharsets;

/**
 * Seeds derived by hashing (docs/architecture.md section 3): a sample's random stream depends only on
 * (root seed, iteration, task id, sample index, turn), never on which worker ran it or in what
 * order, so local and Ray runs with the same root seed produce the same trajectories.
 */
public final class Seeds {
    private Seeds() {}

    public static long derive(long root, long iteration, String taskId, int sample, int turn) {
        long h = mix(root ^ 0x243F6A8885A308D3L);
        h = mix(h ^ iteration);
        h = mix(h ^ fnv1a(taskId));
        h = mix(h ^ sample);
        return mix(h ^ turn);
    }

    /** SplitMix64's finaliser: a bijective mix with good avalanche. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** FNV-1a over UTF-8 bytes: stable across JVMs, unlike String.hashCode's contract. */
    static long fnv1a(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }
}
