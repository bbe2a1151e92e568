package dev.revise.envs.code;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One sandboxed run through a given set of tools: the command line, the work directory, output
 * capture, the timeout, the tree kill and the clean-up. {@link PythonSandbox} decides the tools.
 */
final class SandboxLauncher {
    private static final Logger LOG = LoggerFactory.getLogger(SandboxLauncher.class);
    static final String DROP_USER = "nobody";
    static final String DROP_GROUP = "nogroup";
    private static final String PATH = "/usr/local/bin:/usr/bin:/bin";

    /**
     * Runs as root inside the new mount namespace: keeps the work directory writable through its
     * own bind mount, makes every other mount read-only there (the host is unaffected: unshare
     * makes propagation private), then enters the directory through the new mount.
     */
    private static final String MOUNT_SCRIPT = String.join(
            "\n",
            "set -e",
            "w=\"$1\"; shift",
            "mount --bind \"$w\" \"$w\"",
            "for p in $(cut -d' ' -f2 /proc/self/mounts); do",
            "  case \"$p\" in \"$w\"|/proc|/proc/*|/sys|/sys/*|/dev|/dev/pts) ;;",
            "  *) mount -o remount,bind,ro \"$p\" 2>/dev/null || { echo \"cannot make $p read-only\" >&2; exit 97; } ;;",
            "  esac",
            "done",
            "cd \"$w\"",
            "exec \"$@\"");

    /**
     * The tools a run goes through; null (or false) where a protection is not used.
     *
     * @param fullNamespaces pid and mount namespaces (with the read-only remount) besides the
     *     network one; false with a non-null {@code unshare} means the network namespace only
     * @param drop switch to nobody (with setpriv, which otherwise only sets no_new_privs)
     */
    record Tools(
            String python,
            String setsid,
            String unshare,
            boolean fullNamespaces,
            String sh,
            String prlimit,
            String setpriv,
            boolean drop,
            String kill,
            boolean root) {
        Tools withPython(String p) {
            return new Tools(p, setsid, unshare, fullNamespaces, sh, prlimit, setpriv, drop, kill, root);
        }

        Tools with(String setprivPath, boolean dropToNobody) {
            return new Tools(
                    python, setsid, unshare, fullNamespaces, sh, prlimit, setprivPath, dropToNobody, kill, root);
        }

        Tools withoutRlimits() {
            return new Tools(python, setsid, unshare, fullNamespaces, sh, null, setpriv, drop, kill, root);
        }

        Tools withUnshare(String path, boolean full) {
            return new Tools(python, setsid, path, full, sh, prlimit, setpriv, drop, kill, root);
        }
    }

    private final SandboxConfig config;
    private final ExecutorService readers;

    SandboxLauncher(SandboxConfig config, ExecutorService readers) {
        this.config = config;
        this.readers = readers;
    }

    SandboxResult execute(String program, Tools t, long timeoutMillis) {
        Path dir;
        try {
            dir = Files.createTempDirectory(config.workRoot(), "revise-sandbox-");
        } catch (IOException e) {
            throw new UncheckedIOException("python sandbox: cannot create a work directory in " + config.workRoot(), e);
        }
        try {
            prepare(dir, program, t);
            return launch(dir, t, timeoutMillis);
        } catch (IOException e) {
            throw new UncheckedIOException("python sandbox: " + e.getMessage(), e);
        } finally {
            deleteTree(dir);
        }
    }

    private void prepare(Path dir, String program, Tools t) throws IOException {
        Path main = dir.resolve("main.py");
        Files.writeString(main, program, StandardCharsets.UTF_8);
        if (t.drop) {
            // The candidate runs as nobody: it must own its directory to write there (0700 keeps
            // other users out) and be able to read main.py.
            UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
            Files.setOwner(dir, users.lookupPrincipalByName(DROP_USER));
            Files.setPosixFilePermissions(main, PosixFilePermissions.fromString("rw-r--r--"));
        }
        setPermissions(dir, "rwx------");
    }

    List<String> command(Path dir, Tools t) {
        List<String> cmd = new ArrayList<>();
        if (t.setsid != null) {
            cmd.add(t.setsid);
        }
        if (t.unshare != null) {
            cmd.add(t.unshare);
            if (!t.root) {
                cmd.add("--map-root-user");
            }
            cmd.add("--net");
            if (t.fullNamespaces) {
                cmd.addAll(List.of("--mount", "--pid", "--fork", "--kill-child", "--mount-proc"));
                cmd.addAll(List.of(t.sh, "-c", MOUNT_SCRIPT, "sh", dir.toString()));
            }
        }
        if (t.prlimit != null) {
            long cpu = config.timeout().toSeconds() + 1;
            cmd.addAll(List.of(
                    t.prlimit,
                    "--as=" + config.memoryBytes(),
                    "--nproc=" + config.maxProcesses(),
                    "--fsize=" + config.maxFileBytes(),
                    "--cpu=" + cpu,
                    "--nofile=" + config.maxOpenFiles(),
                    "--core=0"));
        }
        if (t.setpriv != null) {
            cmd.add(t.setpriv);
            if (t.drop) {
                cmd.addAll(List.of("--reuid=" + DROP_USER, "--regid=" + DROP_GROUP, "--clear-groups"));
            }
            cmd.addAll(List.of("--no-new-privs", "--bounding-set=-all", "--inh-caps=-all", "--"));
        }
        cmd.addAll(List.of(t.python, "-I", "-B", "main.py"));
        return cmd;
    }

    private SandboxResult launch(Path dir, Tools t, long timeoutMillis) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command(dir, t)).directory(dir.toFile());
        pb.environment().clear();
        pb.environment().put("PATH", PATH);
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        long start = System.nanoTime();
        Process p = pb.start();
        CompletableFuture<Void> overLimit = new CompletableFuture<>();
        AtomicLong total = new AtomicLong();
        int half = config.keptOutputBytes() / 2;
        OutputCapture out = new OutputCapture(
                p.getInputStream(), half, total, config.maxOutputBytes(), () -> overLimit.complete(null));
        OutputCapture err = new OutputCapture(
                p.getErrorStream(), half, total, config.maxOutputBytes(), () -> overLimit.complete(null));
        Future<?> outDone = readers.submit(out);
        Future<?> errDone = readers.submit(err);
        boolean timedOut = false;
        try {
            CompletableFuture.anyOf(p.onExit(), overLimit).get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            timedOut = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
        boolean limitHit = overLimit.isDone() && !timedOut;
        killTree(p, t);
        awaitQuietly(outDone);
        awaitQuietly(errDone);
        int exit = p.isAlive() ? -1 : p.exitValue();
        long wall = (System.nanoTime() - start) / 1_000_000;
        return new SandboxResult(
                exit, timedOut, limitHit, out.text(), err.text(), out.truncated() || err.truncated(), wall, dir);
    }

    /**
     * Kills the run's processes whether it finished or not, since a candidate can leave children
     * behind. With a pid namespace, killing its init (unshare's child) makes the kernel kill and
     * reap every member before unshare can collect it, so unshare's exit proves the tree dead;
     * unshare itself is left to exit, because killing it first would orphan its child's zombie to
     * the host's init. Without one, the session's process group is killed, and descendants found
     * by parent links (which misses orphans, hence the group) as a last resort.
     */
    private static void killTree(Process p, Tools t) {
        List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
        tree.forEach(ProcessHandle::destroyForcibly);
        try {
            if (t.fullNamespaces() && p.waitFor(2, TimeUnit.SECONDS)) {
                return;
            }
            // Through the handle: Process.destroyForcibly also closes the pipes, losing output the
            // readers have not drained yet (even when the process has already exited).
            p.toHandle().destroyForcibly();
            if (t.setsid() != null && !t.fullNamespaces() && t.kill() != null) {
                runQuietly(List.of(t.kill(), "-KILL", "--", "-" + p.pid()), 2000);
            }
            p.waitFor(5, TimeUnit.SECONDS);
            for (ProcessHandle h : tree) {
                h.onExit().get(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("python sandbox: a process of pid {} outlived SIGKILL for 2 s", p.pid());
        }
    }

    private static void awaitQuietly(Future<?> f) {
        try {
            f.get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // A reader still blocked means a writer escaped the kill; its output is not needed.
            f.cancel(true);
        }
    }

    private static void setPermissions(Path p, String perms) throws IOException {
        if (p.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
        }
    }

    /** Deletes what the candidate left, including directories it made unreadable. */
    private static void deleteTree(Path dir) {
        try {
            if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                try (var walk = Files.walk(dir)) {
                    walk.filter(Files::isDirectory).forEach(d -> {
                        try {
                            setPermissions(d, "rwx------");
                        } catch (IOException e) {
                            // Deletion below reports what is left.
                        }
                    });
                }
            }
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("python sandbox: could not delete {}: {}", dir, e.getMessage());
        }
    }

    /** The command's stdout lines if it exited 0 within the time, else an empty list. */
    static List<String> runQuietly(List<String> cmd, long timeoutMillis) {
        try {
            Process p = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            CompletableFuture<byte[]> bytes = CompletableFuture.supplyAsync(() -> {
                try {
                    return p.getInputStream().readAllBytes();
                } catch (IOException e) {
                    return new byte[0];
                }
            });
            if (!p.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return List.of();
            }
            String text = new String(bytes.get(5, TimeUnit.SECONDS), StandardCharsets.UTF_8);
            return p.exitValue() == 0 ? text.lines().toList() : List.of();
        } catch (IOException | ExecutionException | TimeoutException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }
}
