package dev.revise.envs.code;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
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
    private static final String PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
    /** Files and directories the candidate may create in the mount view's work dir. */
    private static final int WORK_INODES = 1024;

    /**
     * Runs as root inside the new mount namespace: keeps the work directory writable through its
     * own bind mount, makes every other mount read-only there (the host is unaffected: unshare
     * makes propagation private), then enters the directory through the new mount. The fallback
     * where {@link #VIEW_SCRIPT} does not work.
     */
    private static final String READ_ONLY_SCRIPT = String.join(
            "\n",
            "set -e",
            "w=\"$1\"; shift 4",
            "mount --bind \"$w\" \"$w\"",
            "for p in $(cut -d' ' -f2 /proc/self/mounts); do",
            "  case \"$p\" in \"$w\"|/proc|/proc/*|/sys|/sys/*|/dev|/dev/pts) ;;",
            "  *) mount -o remount,bind,ro \"$p\" 2>/dev/null || { echo \"cannot make $p read-only\" >&2; exit 97; } ;;",
            "  esac",
            "done",
            "cd \"$w\"",
            "exec \"$@\"");

    /**
     * The minimal mount view, run as root inside the new mount namespace: a new root on a small
     * tmpfs holding only {@code /usr/{bin,sbin,lib*,libexec}} (and the interpreter's prefix when
     * it lives elsewhere) read-only, four device files, the dynamic linker's cache, a fresh /proc
     * of the run's pid namespace and the work directory as a size- and inode-limited tmpfs with
     * the run's files copied in; then the root is made read-only and the rest runs chrooted in
     * {@code /work}. Nothing else of the host (data, home directories, /tmp, /dev/shm, the JVM's
     * files) exists there, and nothing the candidate writes reaches the host's disk.
     */
    private static final String VIEW_SCRIPT = String.join(
            "\n",
            "set -e",
            "w=\"$1\"; owner=\"$2\"; prefix=\"$3\"; work=\"$4\"; shift 4",
            "r=\"$w/.root\"",
            "ro() { [ -e \"$r$1\" ] || mkdir -p \"$r$1\"; mount --bind \"$1\" \"$r$1\"; mount -o remount,bind,ro \"$r$1\"; }",
            "mount -t tmpfs -o size=1m,nr_inodes=512,mode=0755 revise-root \"$r\"",
            "for d in bin sbin lib lib32 lib64 libx32; do",
            "  if [ -L \"/$d\" ]; then ln -s \"$(readlink \"/$d\")\" \"$r/$d\"; elif [ -d \"/$d\" ]; then ro \"/$d\"; fi",
            "done",
            "for d in bin sbin lib lib32 lib64 libx32 libexec; do",
            "  if [ -d \"/usr/$d\" ] && [ ! -L \"/usr/$d\" ]; then ro \"/usr/$d\"; fi",
            "done",
            "if [ -n \"$prefix\" ]; then ro \"$prefix\"; fi",
            "mkdir -p \"$r/dev\" \"$r/etc\" \"$r/proc\" \"$r/tmp\" \"$r/work\"",
            "for f in null zero random urandom; do touch \"$r/dev/$f\"; mount --bind \"/dev/$f\" \"$r/dev/$f\"; done",
            "if [ -f /etc/ld.so.cache ]; then touch \"$r/etc/ld.so.cache\"; ro /etc/ld.so.cache; fi",
            "mount -t proc proc \"$r/proc\"",
            "mount -t tmpfs -o \"$work,mode=0700\" revise-work \"$r/work\"",
            "for f in \"$w\"/*; do cp \"$f\" \"$r/work/\"; done",
            "if [ -n \"$owner\" ]; then chown -R \"$owner\" \"$r/work\"; fi",
            "mount -o remount,ro revise-root \"$r\"",
            "exec chroot \"$r\" /bin/sh -c 'cd /work && exec \"$@\"' sh \"$@\"");

    /** The interpreter's entry point: the harness in tests mode, the program itself in raw mode. */
    static final String HARNESS = "harness.py";

    static final String PROGRAM = "main.py";

    /**
     * The tools a run goes through; null (or false) where a protection is not used.
     *
     * @param fullNamespaces pid and mount namespaces (with {@link #VIEW_SCRIPT} or {@link
     *     #READ_ONLY_SCRIPT}) besides the network one; false with a non-null {@code unshare} means
     *     the network namespace only
     * @param mountView with {@code fullNamespaces}: the minimal mount view rather than the
     *     read-only remount
     * @param pythonPrefix the interpreter's installation when it is outside /usr (bound into the
     *     mount view), else null
     * @param drop switch to {@code dropIds} (with setpriv, which otherwise only sets no_new_privs)
     * @param dropIds nobody's numeric "uid:gid" (numeric, since the mount view has no /etc/passwd)
     */
    record Tools(
            String python,
            String setsid,
            String unshare,
            boolean fullNamespaces,
            boolean mountView,
            String pythonPrefix,
            String sh,
            String prlimit,
            String setpriv,
            boolean drop,
            String dropIds,
            String kill,
            boolean root) {
        Tools withPython(String p, String prefix) {
            return new Tools(
                    p,
                    setsid,
                    unshare,
                    fullNamespaces,
                    mountView,
                    prefix,
                    sh,
                    prlimit,
                    setpriv,
                    drop,
                    dropIds,
                    kill,
                    root);
        }

        Tools with(String setprivPath, boolean dropToNobody) {
            return new Tools(
                    python,
                    setsid,
                    unshare,
                    fullNamespaces,
                    mountView,
                    pythonPrefix,
                    sh,
                    prlimit,
                    setprivPath,
                    dropToNobody,
                    dropIds,
                    kill,
                    root);
        }

        Tools withoutRlimits() {
            return new Tools(
                    python,
                    setsid,
                    unshare,
                    fullNamespaces,
                    mountView,
                    pythonPrefix,
                    sh,
                    null,
                    setpriv,
                    drop,
                    dropIds,
                    kill,
                    root);
        }

        Tools withUnshare(String path, boolean full, boolean view) {
            return new Tools(
                    python,
                    setsid,
                    path,
                    full,
                    full && view,
                    pythonPrefix,
                    sh,
                    prlimit,
                    setpriv,
                    drop,
                    dropIds,
                    kill,
                    root);
        }
    }

    private final SandboxConfig config;
    private final ExecutorService readers;

    SandboxLauncher(SandboxConfig config, ExecutorService readers) {
        this.config = config;
        this.readers = readers;
    }

    /**
     * Runs {@code program} as {@code main.py}: directly when {@code spec} is null, else under
     * {@code harness.py}, which reads {@code spec} from stdin (see that file's header).
     */
    SandboxResult execute(String program, String spec, Tools t, long timeoutMillis) {
        Path dir;
        try {
            dir = Files.createTempDirectory(config.workRoot(), "revise-sandbox-");
        } catch (IOException e) {
            throw new UncheckedIOException("python sandbox: cannot create a work directory in " + config.workRoot(), e);
        }
        try {
            prepare(dir, program, spec != null, t);
            return launch(dir, spec, t, timeoutMillis);
        } catch (IOException e) {
            throw new UncheckedIOException("python sandbox: " + e.getMessage(), e);
        } finally {
            deleteTree(dir);
        }
    }

    private void prepare(Path dir, String program, boolean harness, Tools t) throws IOException {
        List<Path> files = new ArrayList<>();
        files.add(Files.writeString(dir.resolve(PROGRAM), program, StandardCharsets.UTF_8));
        if (harness) {
            files.add(Files.write(dir.resolve(HARNESS), harnessSource()));
        }
        if (t.mountView()) {
            // The mount point of the run's own root; the files are copied into its tmpfs work dir.
            Files.createDirectory(dir.resolve(".root"));
        } else if (t.drop()) {
            // The candidate runs as nobody: it must own its directory to write there (0700 keeps
            // other users out) and be able to read its files.
            UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
            Files.setOwner(dir, users.lookupPrincipalByName(DROP_USER));
        }
        for (Path f : files) {
            setPermissions(f, "rw-r--r--");
        }
        setPermissions(dir, "rwx------");
    }

    private static volatile byte[] harnessSource;

    /** harness.py's bytes, read from the classpath once rather than on every verification. */
    private static byte[] harnessSource() throws IOException {
        byte[] source = harnessSource;
        if (source == null) {
            try (InputStream in = SandboxLauncher.class.getResourceAsStream(HARNESS)) {
                if (in == null) {
                    throw new IllegalStateException("python sandbox: " + HARNESS + " is missing from the classpath");
                }
                source = in.readAllBytes();
            }
            harnessSource = source;
        }
        return source;
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
                String work = "size=" + 4 * config.maxFileBytes() + ",nr_inodes=" + WORK_INODES;
                cmd.addAll(List.of(
                        t.sh,
                        "-c",
                        t.mountView ? VIEW_SCRIPT : READ_ONLY_SCRIPT,
                        "sh",
                        dir.toString(),
                        t.drop && t.dropIds != null ? t.dropIds : "",
                        t.pythonPrefix != null ? t.pythonPrefix : "",
                        work));
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
                String[] ids = t.dropIds != null ? t.dropIds.split(":") : new String[] {DROP_USER, DROP_GROUP};
                cmd.addAll(List.of("--reuid=" + ids[0], "--regid=" + ids[1], "--clear-groups"));
            }
            cmd.addAll(List.of("--no-new-privs", "--bounding-set=-all", "--inh-caps=-all", "--"));
        }
        cmd.addAll(List.of(t.python, "-I", "-B"));
        cmd.add(Files.exists(dir.resolve(HARNESS)) ? HARNESS : PROGRAM);
        return cmd;
    }

    private SandboxResult launch(Path dir, String spec, Tools t, long timeoutMillis) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command(dir, t)).directory(dir.toFile());
        pb.environment().clear();
        pb.environment().put("PATH", PATH);
        if (spec == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        }
        long start = System.nanoTime();
        Process p = pb.start();
        if (spec != null) {
            // Written from another thread: a harness that dies first must not block this one.
            readers.submit(() -> {
                try (OutputStream in = p.getOutputStream()) {
                    in.write(spec.getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // The run ended before reading its spec; its verdict is missing and says so.
                }
            });
        } else {
            p.getOutputStream().close();
        }
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
    static void deleteTree(Path dir) {
        try {
            if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                try (var walk = Files.walk(dir)) {
                    // Never through a link: a candidate's symlink to a host directory must not
                    // make this (possibly root) process chmod that directory.
                    walk.filter(d -> Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS))
                            .forEach(d -> {
                                try {
                                    Files.getFileAttributeView(
                                                    d, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                                            .setPermissions(PosixFilePermissions.fromString("rwx------"));
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
