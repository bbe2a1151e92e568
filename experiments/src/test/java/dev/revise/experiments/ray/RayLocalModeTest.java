package dev.revise.experiments.ray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ray.api.ActorHandle;
import io.ray.api.Ray;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Ray's Java runtime starts in LOCAL mode with the project's pinned dependencies (logging,
 * serialization) and carries String and byte[] messages through an actor.
 */
class RayLocalModeTest {
    /** A minimal actor: echoes JSON strings and byte[] snapshots. */
    public static class Echo {
        private int calls;

        public String json(String s) {
            calls++;
            return "{\"echo\":" + s + ",\"calls\":" + calls + "}";
        }

        public byte[] reversed(byte[] b) {
            byte[] out = new byte[b.length];
            for (int i = 0; i < b.length; i++) {
                out[i] = b[b.length - 1 - i];
            }
            return out;
        }
    }

    @Test
    void actorsRoundTripStringsAndBytesInLocalMode() throws Exception {
        Path session = Files.createTempDirectory("revise-ray-test");
        System.setProperty("ray.run-mode", "LOCAL");
        System.setProperty("ray.session-dir", session.toString());
        Ray.init();
        try {
            ActorHandle<Echo> echo = Ray.actor(Echo::new).remote();
            assertEquals(
                    "{\"echo\":{\"a\":1},\"calls\":1}",
                    echo.task(Echo::json, "{\"a\":1}").remote().get());
            assertEquals(
                    "{\"echo\":2,\"calls\":2}",
                    echo.task(Echo::json, "2").remote().get());
            assertArrayEquals(
                    new byte[] {3, 2, 1},
                    echo.task(Echo::reversed, new byte[] {1, 2, 3}).remote().get());
        } finally {
            Ray.shutdown();
        }
    }
}
