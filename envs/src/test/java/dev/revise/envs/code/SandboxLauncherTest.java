package dev.revise.envs.code;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SandboxLauncherTest {
    @TempDir
    Path tmp;

    /**
     * The clean-up made every directory of the work dir 0700 so it could delete what a candidate
     * made unreadable, through links too: as root it chmodded any host directory a candidate's
     * symlink pointed to.
     */
    @Test
    void cleanUpNeverFollowsACandidatesSymlinks() throws IOException {
        assumeTrue(tmp.getFileSystem().supportedFileAttributeViews().contains("posix"), "needs POSIX permissions");
        Path victim = Files.createDirectory(tmp.resolve("victim"));
        Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path kept = Files.writeString(victim.resolve("kept.txt"), "host data");
        Path work = Files.createDirectory(tmp.resolve("work"));
        Files.createSymbolicLink(work.resolve("dir-link"), victim);
        Files.createSymbolicLink(work.resolve("file-link"), kept);
        Path locked = Files.createDirectories(work.resolve("locked/inner"));
        Files.writeString(locked.resolve("x"), "x");
        Files.setPosixFilePermissions(locked.getParent(), PosixFilePermissions.fromString("---------"));

        SandboxLauncher.deleteTree(work);

        assertThat(work).doesNotExist();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(victim)))
                .isEqualTo("rwxr-xr-x");
        assertThat(kept).hasContent("host data");
    }
}
